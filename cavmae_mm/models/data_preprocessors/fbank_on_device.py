"""The audio front end on the model's device, for a whole batch at once.

Where the CPU cores cannot keep up with the GPU, the data loader may ship
mean-removed waveforms instead of fbank (transform ``WaveformAsInput``) and
:class:`FbankOnDevice` runs the front end of the transform
``AudioFrontEnd`` (same arguments, same steps from :mod:`cavmae_mm.audio`)
batched on the device: the batched kaldi filter bank (tested equal to
torchaudio's within 1e-4), zero frames after each clip's end, and the
augmentations in training with independent draws per clip from one torch
generator (instead of the reference's numpy draws).
"""
from functools import partial
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

from cavmae_mm.audio import (AUDIOSET_MEAN, AUDIOSET_STD, NUM_MEL_BINS,
                             SAMPLE_RATE, TARGET_LENGTH, FbankSteps,
                             KaldiFbankBatch, batch_noise_draws, pad_waveforms)
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
    """

    def __init__(self,
                 num_mel_bins: int = NUM_MEL_BINS,
                 target_length: int = TARGET_LENGTH,
                 mean: float = AUDIOSET_MEAN,
                 std: float = AUDIOSET_STD,
                 freqm: int = 0,
                 timem: int = 0,
                 noise: bool = False,
                 sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__()
        self.steps = FbankSteps(target_length, mean, std, freqm, timem, noise)
        self.fbank = KaldiFbankBatch(num_mel_bins, sample_rate)

    @property
    def target_length(self) -> int:
        """Frames per clip."""
        return self.steps.target_length

    def forward(self,
                waveforms: Sequence[Tensor],
                training: bool = False,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Mean-removed 1-D waveforms (any lengths) -> [B, T, F] on the
        device of the module's buffers."""
        device = self.fbank.window.device
        batch, lengths = pad_waveforms(waveforms)
        too_short = lengths < self.fbank.window_size
        if too_short.any():
            raise ValueError(
                f'clips {too_short.nonzero().flatten().tolist()} are '
                f'shorter than one frame ({self.fbank.window_size} samples)')
        batch, lengths = batch.to(device, non_blocking=True), \
            lengths.to(device)
        return self.steps(
            self.fbank(batch),
            augment=training,
            draw_noise=partial(batch_noise_draws, generator=generator),
            num_frames=self.fbank.num_frames(lengths))
