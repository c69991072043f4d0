"""Seeded weights and inputs shared by the CAV-MAE Sync parity fixture.

Torch only, with no import of cavmae_mm, so that the same draws can be made
both by tests/reference/make_sync_reference.py (run in a separate
environment next to the official code) and by the parity tests (run in the
project's own environment). The fixture stores only the names, shapes and
seeds; these two functions turn them back into the very tensors it used.
"""
from collections import OrderedDict
from typing import Iterable, Sequence, Tuple

import torch

#: Parameters drawn at unit scale: the official code initialises them with
#: ``torch.randn`` (registers) or uses them as whole tokens, so a 0.02 scale
#: would make them vanish next to the patch tokens.
UNIT_SCALE_KEYS = frozenset(
    ('register_tokens', 'cls_token_a', 'cls_token_v', 'cls_cls_token'))

#: Scale of every other tensor, and of the noise on LayerNorm weights.
WEIGHT_SCALE = 0.02
NORM_WEIGHT_SCALE = 0.1

ShapeList = Iterable[Tuple[str, Sequence[int]]]


def _bare_name(name: str) -> str:
    """Returns ``name`` without the ``module.`` prefix of DataParallel."""
    prefix = 'module.'
    return name[len(prefix):] if name.startswith(prefix) else name


def _is_norm_weight(name: str) -> bool:
    """Whether ``name`` is taken for a LayerNorm weight (drawn around 1)."""
    return 'norm' in name and name.endswith('.weight')


def _scaled(name: str, noise: torch.Tensor) -> torch.Tensor:
    """Maps standard normal noise to the value of the tensor ``name``.

    Args:
        name: State-dict key, with or without the ``module.`` prefix.
        noise: Standard normal draw of the tensor's shape.

    Returns:
        ``noise`` for the unit-scale tokens, ``1 + 0.1 * noise`` for
        LayerNorm weights and ``0.02 * noise`` for everything else.
    """
    if _bare_name(name) in UNIT_SCALE_KEYS:
        return noise
    if _is_norm_weight(name):
        return 1 + NORM_WEIGHT_SCALE * noise
    return WEIGHT_SCALE * noise


def random_official_state(shapes: ShapeList,
                          seed: int) -> 'OrderedDict[str, torch.Tensor]':
    """Random float32 tensors for every key of an official state dict.

    One generator seeded with ``seed`` draws ``torch.randn(shape)`` for each
    key in the given order, so the result depends on the order of
    ``shapes`` as well as on the seed.

    Args:
        shapes: ``(name, shape)`` pairs in state-dict order.
        seed: Seed of the ``torch.Generator`` used for all draws.

    Returns:
        An OrderedDict with the same keys, in the same order.
    """
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for name, shape in shapes:
        noise = torch.randn(tuple(shape), generator=gen, dtype=torch.float32)
        state[name] = _scaled(name, noise)
    return state


def seeded_inputs(
        num_samples: int,
        target_length: int,
        seed: int,
        frame_size: int = 224,
        num_mel_bins: int = 128) -> Tuple[torch.Tensor, torch.Tensor]:
    """Standard normal audio and image inputs from one seeded generator.

    Args:
        num_samples: Batch size N.
        target_length: Number of fbank frames T.
        seed: Seed of the ``torch.Generator``; audio is drawn first.
        frame_size: Height and width of the images.
        num_mel_bins: Number of mel bins of the fbank.

    Returns:
        ``(audio, imgs)`` of shapes ``[N, T, num_mel_bins]`` and
        ``[N, 3, frame_size, frame_size]``, float32.
    """
    gen = torch.Generator().manual_seed(seed)
    audio = torch.randn(
        num_samples,
        target_length,
        num_mel_bins,
        generator=gen,
        dtype=torch.float32)
    imgs = torch.randn(
        num_samples,
        3,
        frame_size,
        frame_size,
        generator=gen,
        dtype=torch.float32)
    return audio, imgs
