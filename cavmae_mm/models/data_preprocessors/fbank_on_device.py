"""The audio pipeline on the model's device, for a whole batch at once.

Where the CPU cores cannot keep up with the GPU, the data loader may ship
mean-removed waveforms instead of fbank (transform ``WaveformAsInput``) and
:class:`FbankOnDevice` computes what ``KaldiFbank``, ``PadCropFbank``,
``SpecAugment``, ``NormalizeFbank`` and ``FbankNoiseRoll`` compute, batched,
on the device: the same kaldi-compatible log-mel filter bank (tested equal
to torchaudio's within 1e-4), zero frames after each clip's end, the same
masking and noise distributions (per sample, independent draws from torch's
generator instead of the reference's numpy draws).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchaudio.compliance.kaldi import get_mel_banks
from torchaudio.functional import mask_along_axis_iid

from cavmae_mm.registry import MODELS
from cavmae_mm.utils.audio_frontend import (AUDIOSET_MEAN, AUDIOSET_STD,
                                            FRAME_LENGTH_MS, FRAME_SHIFT_MS,
                                            LOW_FREQ_HZ, NUM_MEL_BINS,
                                            PREEMPHASIS, SAMPLE_RATE,
                                            TARGET_LENGTH, samples_per_frame)

#: torchaudio's kaldi floor for the log of the mel energies.
_LOG_FLOOR = torch.finfo(torch.float32).eps


def pad_waveforms(waveforms: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
    """Zero-pads 1-D waveforms to one [B, N] tensor; returns their lengths."""
    lengths = torch.tensor([w.shape[-1] for w in waveforms])
    batch = torch.zeros(len(waveforms), int(lengths.max()))
    for row, waveform in zip(batch, waveforms, strict=True):
        row[:waveform.shape[-1]] = waveform.reshape(-1)
    return batch, lengths


class KaldiFbankBatch(nn.Module):
    """Batched ``torchaudio.compliance.kaldi.fbank`` with the reference's
    options (hanning window, no dither, DC removal, pre-emphasis 0.97,
    power spectrum, 20 Hz low edge, log floor eps, htk_compat, no energy).

    Args:
        num_mel_bins (int): Mel bins. Defaults to 128.
        sample_rate (int): Hz. Defaults to 16000.
        frame_length (float): ms. Defaults to 25.
        frame_shift (float): ms. Defaults to 10.
    """

    def __init__(self,
                 num_mel_bins: int = NUM_MEL_BINS,
                 sample_rate: int = SAMPLE_RATE,
                 frame_length: float = FRAME_LENGTH_MS,
                 frame_shift: float = FRAME_SHIFT_MS) -> None:
        super().__init__()
        self.window_size = samples_per_frame(sample_rate, frame_length)
        self.window_shift = samples_per_frame(sample_rate, frame_shift)
        self.fft_size = 2**math.ceil(math.log2(self.window_size))
        banks, _ = get_mel_banks(num_mel_bins, self.fft_size,
                                 float(sample_rate), LOW_FREQ_HZ, 0.0, 100.0,
                                 -500.0, 1.0)
        self.register_buffer(
            'mel_banks', F.pad(banks, (0, 1)),
            persistent=False)  # [bins, fft/2 + 1]
        self.register_buffer(
            'window',
            torch.hann_window(self.window_size, periodic=False),
            persistent=False)

    def num_frames(self, lengths: Tensor) -> Tensor:
        """Frames of each clip (kaldi's snip_edges)."""
        return torch.div(
            lengths - self.window_size,
            self.window_shift,
            rounding_mode='floor') + 1

    def forward(self, waveforms: Tensor) -> Tensor:
        """[B, N] waveforms -> [B, frames, bins] log-mel energies."""
        frames = waveforms.unfold(1, self.window_size, self.window_shift)
        frames = frames - frames.mean(dim=-1, keepdim=True)
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = (frames - PREEMPHASIS * previous) * self.window
        frames = F.pad(frames, (0, self.fft_size - self.window_size))
        power = torch.fft.rfft(frames).abs().pow(2)
        mel = power @ self.mel_banks.t()
        return mel.clamp_min(_LOG_FLOOR).log()


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
        if std <= 0:
            raise ValueError(f'std must be > 0, got {std}')
        self.fbank = KaldiFbankBatch(num_mel_bins, sample_rate)
        self.target_length = target_length
        self.mean, self.std = mean, std
        self.freqm, self.timem, self.noise = freqm, timem, noise

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
        fbank = self.fbank(batch)
        fbank = self._pad_crop(fbank, self.fbank.num_frames(lengths))
        if training:
            fbank = self._spec_augment(fbank)
        fbank = (fbank - self.mean) / self.std
        if training and self.noise:
            fbank = self._noise_roll(fbank, generator)
        return fbank

    def _pad_crop(self, fbank: Tensor, num_frames: Tensor) -> Tensor:
        """Zeros after each clip's last frame; ``target_length`` frames."""
        length = fbank.shape[1]
        if length < self.target_length:
            fbank = F.pad(fbank, (0, 0, 0, self.target_length - length))
        fbank = fbank[:, :self.target_length]
        frame = torch.arange(self.target_length, device=fbank.device)
        return fbank * (frame[None, :, None] < num_frames[:, None, None])

    def _spec_augment(self, fbank: Tensor) -> Tensor:
        """Independent frequency then time masks per clip (torchaudio)."""
        spec = fbank.transpose(1, 2).unsqueeze(1)  # [B, 1, F, T]
        if self.freqm:
            spec = mask_along_axis_iid(spec, self.freqm, 0.0, axis=2)
        if self.timem:
            spec = mask_along_axis_iid(spec, self.timem, 0.0, axis=3)
        return spec.squeeze(1).transpose(1, 2)

    def _noise_roll(self, fbank: Tensor,
                    generator: Optional[torch.Generator]) -> Tensor:
        """``+ rand * u / 10`` (u ~ U(0, 1) per clip), then a roll along
        time by k ~ U{-T, ..., T-1} per clip."""
        batch, length, _ = fbank.shape
        device = fbank.device
        level = torch.rand(batch, 1, 1, device=device, generator=generator)
        fbank = fbank + torch.rand(
            fbank.shape, device=device, generator=generator) * level / 10
        shift = torch.randint(
            -length, length, (batch, 1), device=device, generator=generator)
        source = (torch.arange(length, device=device)[None] - shift) % length
        return fbank.gather(1, source[..., None].expand_as(fbank))
