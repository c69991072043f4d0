"""The audio front end on the model's device, for a whole batch at once.

Where the CPU cores cannot keep up with the GPU, the data loader may ship
mean-removed waveforms instead of fbank (transform ``WaveformAsInput``) and
:class:`FbankOnDevice` runs the front end of the transform
``AudioFrontEnd`` (same arguments, same steps from :mod:`cavmae_mm.audio`)
batched on the device: the batched kaldi filter bank (tested equal to
torchaudio's within 1e-4), zero frames after each clip's end, and the
augmentations in training with independent draws per clip from one torch
generator (instead of the reference's numpy draws). With a ``clip_length``
(CAV-MAE Sync, as ``AudioFrontEnd``'s) the whole clip's fbank is made and
the segments centred on each sample's chosen frames are cut from it, as
the transform ``AlignAudioToFrames`` cuts them.
"""
from functools import partial
from typing import List, Optional, Sequence

import torch
from torch import Tensor, nn

from cavmae_mm.audio import (AUDIOSET_MEAN, AUDIOSET_STD, NUM_MEL_BINS,
                             SAMPLE_RATE, TARGET_LENGTH, FbankSteps,
                             KaldiFbankBatch, batch_noise_draws, cut_segments,
                             pad_waveforms)
from cavmae_mm.registry import MODELS


@MODELS.register_module()
class FbankOnDevice(nn.Module):
    """Waveforms -> normalised (and, in training, augmented) fbank batch.

    Args:
        num_mel_bins (int): Mel bins. Defaults to 128.
        target_length (int): Frames per clip after zero-padding or cutting.
            Defaults to 1024.
        mean (float): Normalisation mean. Defaults to AudioSet's.
        std (float): Normalisation std. Defaults to AudioSet's.
        freqm (int): SpecAugment frequency mask width bound (training).
            Defaults to 0 (off).
        timem (int): SpecAugment time mask width bound (training).
            Defaults to 0 (off).
        noise (bool): Noise and roll along time (training). Defaults to
            False.
        sample_rate (int): Hz. Defaults to 16000.
        clip_length (int, optional): Frames the whole clip is padded or
            cut to before ``target_length``-frame segments centred on the
            chosen frames are cut from it (CAV-MAE Sync); the forward then
            needs each clip's ``frame_slots`` and ``num_frames``. Defaults
            to None: the clip is the input.
    """

    def __init__(self,
                 num_mel_bins: int = NUM_MEL_BINS,
                 target_length: int = TARGET_LENGTH,
                 mean: float = AUDIOSET_MEAN,
                 std: float = AUDIOSET_STD,
                 freqm: int = 0,
                 timem: int = 0,
                 noise: bool = False,
                 sample_rate: int = SAMPLE_RATE,
                 clip_length: Optional[int] = None) -> None:
        super().__init__()
        if clip_length is not None and clip_length < target_length:
            raise ValueError(f'clip_length ({clip_length}) must be at least '
                             f'target_length ({target_length})')
        self.segment_length = None if clip_length is None else target_length
        self.steps = FbankSteps(clip_length or target_length, mean, std, freqm,
                                timem, noise)
        self.fbank = KaldiFbankBatch(num_mel_bins, sample_rate)

    @property
    def target_length(self) -> int:
        """Frames of the model's audio input (a segment with a
        ``clip_length``)."""
        return self.segment_length or self.steps.target_length

    @property
    def cuts_segments(self) -> bool:
        """Whether the output is segments centred on chosen frames."""
        return self.segment_length is not None

    def forward(self,
                waveforms: Sequence[Tensor],
                training: bool = False,
                generator: Optional[torch.Generator] = None,
                frame_slots: Optional[Sequence[Sequence[int]]] = None,
                num_frames: Optional[Sequence[int]] = None) -> Tensor:
        """Mean-removed 1-D waveforms (any lengths) -> [B, T, F] on the
        device of the module's buffers; with a ``clip_length``, the
        segments of each clip's ``frame_slots`` of its ``num_frames``:
        [B, T, F] for one frame per clip, [B, K, T, F] for K."""
        if self.cuts_segments and (frame_slots is None or num_frames is None
                                   or len(frame_slots) != len(waveforms)
                                   or len(num_frames) != len(waveforms)):
            raise ValueError(
                'FbankOnDevice with a clip_length cuts the segments of each '
                "clip's chosen frames: give frame_slots and num_frames for "
                f'each of the {len(waveforms)} clips')
        device = self.fbank.window.device
        batch, lengths = pad_waveforms(waveforms)
        too_short = lengths < self.fbank.window_size
        if too_short.any():
            raise ValueError(
                f'clips {too_short.nonzero().flatten().tolist()} are '
                f'shorter than one frame ({self.fbank.window_size} samples)')
        batch, lengths = batch.to(device, non_blocking=True), \
            lengths.to(device)
        fbank = self.steps(
            self.fbank(batch),
            augment=training,
            draw_noise=partial(batch_noise_draws, generator=generator),
            num_frames=self.fbank.num_frames(lengths))
        if not self.cuts_segments:
            return fbank
        return torch.stack(self._segments(fbank, frame_slots, num_frames))

    def _segments(self, fbank: Tensor, frame_slots: Sequence[Sequence[int]],
                  num_frames: Sequence[int]) -> List[Tensor]:
        counts = {len(slots) for slots in frame_slots}
        if len(counts) != 1 or 0 in counts:
            raise ValueError('every clip of a batch needs the same number '
                             f'(> 0) of chosen frames, got {sorted(counts)}')
        return [
            cut_segments(clip, slots, int(total), self.segment_length)
            for clip, slots, total in zip(fbank, frame_slots, num_frames)
        ]
