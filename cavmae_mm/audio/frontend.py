"""The audio front end after the filter bank, one definition for both
routes: pad or crop -> [training] SpecAugment -> normalise -> [training]
noise and roll (the reference's order).

The data transform ``AudioFrontEnd`` (one clip on the CPU, the reference's
draws) and the data preprocessor's ``FbankOnDevice`` (a batch on the
device, one torch generator) both run :class:`FbankSteps` with the same
arguments, so a recipe moves its audio front end from the data pipeline to
the device by moving one dict.
"""
from typing import Callable, Optional

from torch import Tensor

from .ops import (NoiseDraws, add_noise_and_roll, normalize, pad_crop,
                  spec_augment)
from .settings import AUDIOSET_MEAN, AUDIOSET_STD, TARGET_LENGTH


class FbankSteps:
    """Pad/crop, SpecAugment, normalisation and noise of a fbank batch.

    Args:
        target_length (int): Frames per clip. Defaults to 1024 (10 s).
        mean (float): Normalisation mean. Defaults to AudioSet's.
        std (float): Normalisation std, > 0. Defaults to AudioSet's.
        freqm (int): SpecAugment frequency mask bound; 0 is off.
            Defaults to 0.
        timem (int): SpecAugment time mask bound; 0 is off. Defaults to 0.
        noise (bool): Noise and roll along time. Defaults to False.
    """

    def __init__(self,
                 target_length: int = TARGET_LENGTH,
                 mean: float = AUDIOSET_MEAN,
                 std: float = AUDIOSET_STD,
                 freqm: int = 0,
                 timem: int = 0,
                 noise: bool = False) -> None:
        if std <= 0:
            raise ValueError(f'std must be > 0, got {std}')
        self.target_length = target_length
        self.mean, self.std = mean, std
        self.freqm, self.timem, self.noise = freqm, timem, noise

    def __call__(self,
                 fbank: Tensor,
                 augment: bool,
                 draw_noise: Callable[[Tensor], NoiseDraws],
                 num_frames: Optional[Tensor] = None) -> Tensor:
        """Runs the steps on ``fbank`` [B, T, F].

        Args:
            fbank (Tensor): Filter banks of a batch.
            augment (bool): Apply SpecAugment and noise (those configured).
            draw_noise (callable): Makes the noise step's draws for a batch.
            num_frames (Tensor, optional): [B] frames of each clip of a
                padded batch (see :func:`pad_crop`).

        Returns:
            Tensor: [B, target_length, F].
        """
        fbank = pad_crop(fbank, self.target_length, num_frames)
        if augment and (self.freqm or self.timem):
            fbank = spec_augment(fbank, self.freqm, self.timem)
        fbank = normalize(fbank, self.mean, self.std)
        if augment and self.noise:
            fbank = add_noise_and_roll(fbank, draw_noise(fbank))
        return fbank

    def __repr__(self) -> str:
        return (f'target_length={self.target_length}, mean={self.mean}, '
                f'std={self.std}, freqm={self.freqm}, timem={self.timem}, '
                f'noise={self.noise}')
