"""The steps after the filter bank, each written once for a batch
``[B, T, F]`` (one clip is a batch of one).

Random steps take their draws as arguments, so that the two routes differ
only in where the numbers come from: :func:`reference_noise_draws` makes
the official code's draws (numpy for the level and the shift, torch's
global generator for the noise), :func:`batch_noise_draws` draws for a
whole batch from one torch generator on the device.
"""
from typing import NamedTuple, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torchaudio.functional import mask_along_axis_iid


def pad_crop(fbank: Tensor,
             target_length: int,
             num_frames: Optional[Tensor] = None) -> Tensor:
    """Zero-pads at the end or cuts to ``target_length`` frames.

    Args:
        fbank (Tensor): [B, T, F].
        target_length (int): Frames to keep.
        num_frames (Tensor, optional): [B] frames of each clip in a padded
            batch; frames after a clip's end become zeros.

    Returns:
        Tensor: [B, target_length, F].
    """
    missing = target_length - fbank.shape[1]
    if missing > 0:
        fbank = F.pad(fbank, (0, 0, 0, missing))
    elif missing < 0:
        fbank = fbank[:, :target_length]
    if num_frames is None:
        return fbank
    frame = torch.arange(target_length, device=fbank.device)
    return fbank * (frame[None, :, None] < num_frames[:, None, None])


def spec_augment(fbank: Tensor, freqm: int, timem: int) -> Tensor:
    """Frequency then time masking, independent per clip (torchaudio's
    draws: for one clip the same numbers as its ``FrequencyMasking`` and
    ``TimeMasking``). A bound of 0 disables that mask."""
    spec = fbank.transpose(1, 2).unsqueeze(1)  # [B, 1, F, T]
    if freqm:
        spec = mask_along_axis_iid(spec, freqm, 0.0, axis=2)
    if timem:
        spec = mask_along_axis_iid(spec, timem, 0.0, axis=3)
    return spec.squeeze(1).transpose(1, 2)


def normalize(fbank: Tensor, mean: float, std: float) -> Tensor:
    """``(fbank - mean) / std``."""
    return (fbank - mean) / std


class NoiseDraws(NamedTuple):
    """The random numbers of :func:`add_noise_and_roll`.

    Attributes:
        levels (Tensor): [B] noise level u ~ U(0, 1) of each clip.
        noise (Tensor): [B, T, F] U(0, 1) noise.
        shifts (Tensor): [B] integer time shift in [-T, T).
    """
    levels: Tensor
    noise: Tensor
    shifts: Tensor


def reference_noise_draws(fbank: Tensor) -> NoiseDraws:
    """The official code's draws for each clip of ``fbank`` (CPU): noise
    from torch's global generator, level and shift from numpy's."""
    levels, noise, shifts = [], [], []
    length = fbank.shape[1]
    for _ in range(fbank.shape[0]):
        noise.append(torch.rand(fbank.shape[1:]))
        levels.append(np.random.rand())
        shifts.append(int(np.random.randint(-length, length)))
    return NoiseDraws(
        torch.tensor(levels, dtype=torch.float32), torch.stack(noise),
        torch.tensor(shifts))


def batch_noise_draws(
        fbank: Tensor,
        generator: Optional[torch.Generator] = None) -> NoiseDraws:
    """Independent draws for every clip from one torch generator, on the
    device of ``fbank``."""
    batch, length, _ = fbank.shape
    device = fbank.device
    levels = torch.rand(batch, device=device, generator=generator)
    noise = torch.rand(fbank.shape, device=device, generator=generator)
    shifts = torch.randint(
        -length, length, (batch, ), device=device, generator=generator)
    return NoiseDraws(levels, noise, shifts)


def add_noise_and_roll(fbank: Tensor, draws: NoiseDraws) -> Tensor:
    """``fbank + noise * u / 10``, then a roll along time by the shift, for
    each clip."""
    length = fbank.shape[1]
    fbank = fbank + draws.noise * draws.levels[:, None, None] / 10
    frames = torch.arange(length, device=fbank.device)
    source = (frames[None] - draws.shifts[:, None]) % length
    return fbank.gather(1, source[..., None].expand_as(fbank))
