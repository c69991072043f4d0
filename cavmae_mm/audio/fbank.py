"""The kaldi log-mel filter bank: the reference call for one clip and its
batched re-implementation for the device.

:func:`reference_fbank` is the official code's call
(``torchaudio.compliance.kaldi.fbank`` on the mean-removed waveform); the
CPU data route uses it, so its values are the reference's bit for bit.
:class:`KaldiFbankBatch` computes the same filter bank for a padded batch in
one pass of batched tensor operations (tested equal within 1e-4).
"""
import math
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
import torchaudio
from torch import Tensor, nn
from torchaudio.compliance.kaldi import get_mel_banks

from .settings import (FRAME_LENGTH_MS, FRAME_SHIFT_MS, KALDI_FBANK_ARGS,
                       LOW_FREQ_HZ, NUM_MEL_BINS, PREEMPHASIS, SAMPLE_RATE,
                       samples_per_frame)

#: torchaudio's kaldi floor for the log of the mel energies.
_LOG_FLOOR = torch.finfo(torch.float32).eps


def reference_fbank(waveform: Tensor,
                    sample_rate: int = SAMPLE_RATE,
                    num_mel_bins: int = NUM_MEL_BINS,
                    frame_shift: float = FRAME_SHIFT_MS,
                    frame_length: float = FRAME_LENGTH_MS) -> Tensor:
    """The official fbank of one clip: mean removal, then torchaudio's kaldi
    fbank with the reference's options.

    Args:
        waveform (Tensor): [1, N] mono waveform.
        sample_rate (int): Hz.
        num_mel_bins (int): Mel bins.
        frame_shift (float): ms.
        frame_length (float): ms.

    Returns:
        Tensor: [frames, num_mel_bins] float32 log-mel energies.
    """
    return torchaudio.compliance.kaldi.fbank(
        waveform - waveform.mean(),
        sample_frequency=sample_rate,
        num_mel_bins=num_mel_bins,
        frame_shift=frame_shift,
        frame_length=frame_length,
        **KALDI_FBANK_ARGS)


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
