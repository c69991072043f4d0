"""The input geometry of a CAV-MAE model: its input sizes and token grids.

One :class:`InputGeometry` owns the sizes (fbank frames and mel bins, frame
side, patch side) and everything derived from them (the audio and visual
patch grids, token counts, input shapes); the encoder, the decoder, the
FLOP count, the export and the official-checkpoint reader take it from
here. The same names (``target_length``, ``num_mel_bins``, ``frame_size``)
are used by the data transforms and by the configs' ``input_geometry``
(see :func:`cavmae_mm.config.fill_input_geometry`).
"""
from dataclasses import dataclass
from typing import Tuple

#: The names of the sizes shared by the data and the model.
GEOMETRY_KEYS = ('target_length', 'num_mel_bins', 'frame_size')


@dataclass(frozen=True)
class InputGeometry:
    """Input sizes of a model and its patch grids.

    Audio fbank [T, F] is seen as a one-channel image [F, T] (frequency
    rows, time columns); images are ``frame_size`` squares.

    Args:
        target_length (int): Fbank frames T (10 ms each). Defaults to 1024.
        num_mel_bins (int): Mel bins F. Defaults to 128.
        frame_size (int): Image side. Defaults to 224.
        patch_size (int): Patch side. Defaults to 16.

    Raises:
        ValueError: A size that is not a positive multiple of
            ``patch_size`` (the message names it).
    """
    target_length: int = 1024
    num_mel_bins: int = 128
    frame_size: int = 224
    patch_size: int = 16

    def __post_init__(self) -> None:
        for name in GEOMETRY_KEYS:
            size = getattr(self, name)
            if size <= 0 or size % self.patch_size:
                raise ValueError(f'{name}={size} is not a multiple of '
                                 f'patch_size={self.patch_size}')

    @property
    def audio_grid(self) -> Tuple[int, int]:
        """(frequency, time) patches of the audio."""
        return (self.num_mel_bins // self.patch_size,
                self.target_length // self.patch_size)

    @property
    def visual_grid(self) -> Tuple[int, int]:
        """(rows, columns) patches of an image."""
        side = self.frame_size // self.patch_size
        return (side, side)

    @property
    def num_audio_patches(self) -> int:
        """Audio tokens."""
        rows, cols = self.audio_grid
        return rows * cols

    @property
    def num_visual_patches(self) -> int:
        """Visual tokens of one image."""
        rows, cols = self.visual_grid
        return rows * cols

    @property
    def fbank_shape(self) -> Tuple[int, int]:
        """[T, F] of one clip's fbank."""
        return (self.target_length, self.num_mel_bins)

    @property
    def image_shape(self) -> Tuple[int, int]:
        """[H, W] of one image."""
        return (self.frame_size, self.frame_size)

    @classmethod
    def from_token_counts(cls, num_audio_patches: int, num_visual_patches: int,
                          num_mel_bins: int,
                          patch_size: int) -> 'InputGeometry':
        """The geometry of position tables of these lengths (e.g. a
        checkpoint's), for audio of ``num_mel_bins`` bins.

        Raises:
            ValueError: Token counts that fit no such grid.
        """
        rows = num_mel_bins // patch_size
        side = round(num_visual_patches**0.5)
        if side * side != num_visual_patches or num_audio_patches % rows:
            raise ValueError(
                f'{num_audio_patches} audio and {num_visual_patches} visual '
                f'tokens fit no grid of {rows} frequency rows and square '
                'images')
        return cls(
            target_length=num_audio_patches // rows * patch_size,
            num_mel_bins=num_mel_bins,
            frame_size=side * patch_size,
            patch_size=patch_size)
