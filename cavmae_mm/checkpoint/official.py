"""Name mapping, both ways, between the released CAV-MAE checkpoints and
this package.

The official checkpoints are raw ``state_dict``s of ``CAVMAE`` (pretraining)
or ``CAVMAEFT`` (finetuned), saved from ``nn.DataParallel`` so that every key
starts with ``module.``. Here the same tensors live in a pretraining model
(``backbone`` = encoder, ``neck`` = decoder) or a recognizer (``backbone``,
``cls_head``). The mapping is one to one:

==========================  =============================
official                    cavmae_mm
==========================  =============================
``mask_token``              ``neck.mask_token``
``decoder_<name>``          ``neck.<name>``
``mlp_head.0.<p>``          ``cls_head.norm.<p>``
``mlp_head.1.<p>``          ``cls_head.fc.<p>``
anything else ``<name>``    ``backbone.<name>``
==========================  =============================
"""
from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

from torch import Tensor

from .errors import CheckpointMismatch

MODULE_PREFIX = 'module.'
PRETRAIN, FINETUNE = 'pretrain', 'finetune'
#: Tensors of the ImageNet-MAE initialisation the official script adds but no
#: model uses; dropped with a notice.
UNUSED_OFFICIAL_KEYS = ('cls_token_a', 'cls_token_v', 'cls_token_av')

_TO_MM = (('mask_token', 'neck.mask_token'), ('decoder_', 'neck.'),
          ('mlp_head.0.', 'cls_head.norm.'), ('mlp_head.1.', 'cls_head.fc.'),
          ('', 'backbone.'))
_TO_OFFICIAL = (('neck.mask_token', 'mask_token'), ('neck.', 'decoder_'),
                ('cls_head.norm.', 'mlp_head.0.'),
                ('cls_head.fc.', 'mlp_head.1.'), ('backbone.', ''))


def _rename(key: str, rules: Sequence[Tuple[str, str]]) -> str:
    """``key`` renamed by the first rule (old prefix, new prefix) it
    matches."""
    for old, new in rules:
        if key.startswith(old):
            return new + key[len(old):]
    raise CheckpointMismatch(f'key {key!r} does not belong to a CAV-MAE '
                             'model')


def strip_module_prefix(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Removes ``module.`` when every key has it (DataParallel saves)."""
    if state_dict and all(k.startswith(MODULE_PREFIX) for k in state_dict):
        return OrderedDict(
            (k[len(MODULE_PREFIX):], v) for k, v in state_dict.items())
    return OrderedDict(state_dict)


def detect_kind(official: Dict[str, Tensor]) -> str:
    """'pretrain' (has a decoder) or 'finetune' (has ``mlp_head``)."""
    has_head = any(k.startswith('mlp_head.') for k in official)
    has_decoder = any(
        k.startswith('decoder_') or k == 'mask_token' for k in official)
    if has_head and has_decoder:
        raise CheckpointMismatch('holds both a decoder and an mlp_head')
    if not (has_head or has_decoder):
        if not any(k.startswith('blocks_u.') for k in official):
            raise CheckpointMismatch(
                'no CAV-MAE tensors (blocks_u, decoder_* or mlp_head.*)')
        raise CheckpointMismatch('has an encoder but neither a decoder nor '
                                 'an mlp_head')
    return FINETUNE if has_head else PRETRAIN


def official_to_mm(
        state_dict: Dict[str,
                         Tensor]) -> Tuple[Dict[str, Tensor], str, List[str]]:
    """Converts an official state dict (with or without ``module.``).

    Returns:
        tuple: The renamed state dict, its kind ('pretrain' or 'finetune'),
        and the official keys dropped as known-unused.

    Raises:
        CheckpointMismatch: Not a CAV-MAE pretraining or finetuned state
            dict (see :func:`detect_kind`).
    """
    official = strip_module_prefix(state_dict)
    kind = detect_kind(official)
    dropped = [k for k in official if k in UNUSED_OFFICIAL_KEYS]
    converted = OrderedDict((_rename(k, _TO_MM), v)
                            for k, v in official.items() if k not in dropped)
    return converted, kind, dropped


def mm_to_official(state_dict: Dict[str, Tensor],
                   module_prefix: bool = True) -> Dict[str, Tensor]:
    """Converts this package's state dict back to the official names
    (with DataParallel's ``module.`` prefix unless ``module_prefix`` is
    False).

    Raises:
        CheckpointMismatch: A key outside ``backbone``, ``neck`` and
            ``cls_head``.
    """
    prefix = MODULE_PREFIX if module_prefix else ''
    return OrderedDict(
        (prefix + _rename(k, _TO_OFFICIAL), v) for k, v in state_dict.items())
