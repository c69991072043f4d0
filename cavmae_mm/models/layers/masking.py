"""Token masking of CAV-MAE: unstructured, and structured audio ablations."""
import random
from typing import NamedTuple, Optional, Tuple

import torch
from torch import Tensor

#: Audio masking modes. 'unstructured' is the default of every released
#: model; 'time', 'freq' and 'tf' are the paper's ablations.
AUDIO_MASK_MODES = ('unstructured', 'time', 'freq', 'tf')

#: Noise value that pushes a token to the masked end of the sort.
_FORCED_MASK_NOISE = 1.1


class MaskedTokens(NamedTuple):
    """Result of masking one modality.

    Attributes:
        kept (Tensor): The visible tokens [B, len_keep, D], in shuffle order.
        mask (Tensor): [B, L] float, 0 for kept and 1 for masked tokens, in the
            original token order.
        ids_restore (Tensor): [B, L] long; position of each original token in
            the shuffled order, used by the decoder to unshuffle.
    """
    kept: Tensor
    mask: Tensor
    ids_restore: Tensor


def num_kept(length: int, mask_ratio: float) -> int:
    """Number of visible tokens, computed as the reference does."""
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
    return int(length * (1 - mask_ratio))


def random_masking(tokens: Tensor, mask_ratio: float,
                   noise: Tensor) -> MaskedTokens:
    """Keeps the ``num_kept(L, mask_ratio)`` tokens with the lowest noise.

    Every sample of the batch keeps the same number of tokens, so the counts
    come from shapes and the step needs no host-device synchronisation.

    Args:
        tokens (Tensor): [B, L, D].
        mask_ratio (float): Fraction of tokens to mask, in [0, 1).
        noise (Tensor): [B, L] sort keys; low values are kept.

    Returns:
        MaskedTokens: kept tokens, binary mask and restore indices.
    """
    batch, length, dim = tokens.shape
    if noise.shape != (batch, length):
        raise ValueError(f'noise must have shape {(batch, length)}, got '
                         f'{tuple(noise.shape)}')
    len_keep = num_kept(length, mask_ratio)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    kept = torch.gather(tokens, 1, ids_keep.unsqueeze(-1).expand(-1, -1, dim))
    mask = (ids_restore >= len_keep).to(tokens.dtype)
    return MaskedTokens(kept, mask, ids_restore)


def _sample_rows(count: int, total: int, batch: int, rng) -> list:
    return [rng.sample(range(total), count) for _ in range(batch)]


def structured_audio_noise(noise: Tensor,
                           mask_ratio: float,
                           grid: Tuple[int, int],
                           mode: str,
                           rng: Optional[random.Random] = None) -> Tensor:
    """Forces whole time columns and/or frequency rows to be masked.

    The audio tokens lie on a (frequency, time) grid in frequency-major order.
    'time' masks ``int(t * ratio)`` random time columns of every sample,
    'freq' masks ``int(f * ratio)`` frequency rows, and 'tf' masks
    ``int(t * ratio * 0.7)`` columns and then ``int(f * ratio * 0.7)`` rows.
    The columns and rows are drawn with Python's ``random`` module in the
    reference's order (all samples' columns, then all samples' rows), so a
    seeded run reproduces the reference masks.

    Args:
        noise (Tensor): [B, f * t] sort keys in [0, 1).
        mask_ratio (float): Audio masking ratio.
        grid (tuple[int, int]): (f, t), frequency rows and time columns.
        mode (str): 'time', 'freq' or 'tf'.
        rng (random.Random, optional): Source of the draws; defaults to the
            global ``random`` module state.

    Returns:
        Tensor: The noise with forced tokens set above every other key.
    """
    if mode not in AUDIO_MASK_MODES[1:]:
        raise ValueError(f'structured mode must be one of '
                         f'{AUDIO_MASK_MODES[1:]}, got {mode!r}')
    rng = rng if rng is not None else random  # the module's global state
    f, t = grid
    batch = noise.shape[0]
    if noise.shape[1] != f * t:
        raise ValueError(f'{noise.shape[1]} audio tokens do not form the '
                         f'({f}, {t}) grid')
    forced = torch.zeros(batch, f, t, dtype=torch.bool)
    time_share = mask_ratio if mode == 'time' else mask_ratio * 0.7
    freq_share = mask_ratio if mode == 'freq' else mask_ratio * 0.7
    if mode in ('time', 'tf'):
        for i, cols in enumerate(
                _sample_rows(int(t * time_share), t, batch, rng)):
            forced[i, :, cols] = True
    if mode in ('freq', 'tf'):
        for i, rows in enumerate(
                _sample_rows(int(f * freq_share), f, batch, rng)):
            forced[i, rows, :] = True
    forced = forced.reshape(batch, f * t).to(noise.device, non_blocking=True)
    return noise.masked_fill(forced, _FORCED_MASK_NOISE)
