"""Name mapping, both ways, between the released CAV-MAE and CAV-MAE Sync
checkpoints and this package.

The official checkpoints are raw ``state_dict``s of ``CAVMAE`` (pretraining)
or ``CAVMAEFT`` (finetuned), saved from ``nn.DataParallel`` so that every key
starts with ``module.``; CAV-MAE Sync's are those of its own ``CAVMAE`` /
``CAVMAEFT`` classes. Here the same tensors live in a pretraining model
(``backbone`` = encoder, ``neck`` = decoder) or a recognizer (``backbone``,
``cls_head``). The mapping is one to one:

===============================  ======================================
official                         cavmae_mm
===============================  ======================================
``mask_token``                   ``neck.mask_token``
``decoder_<name>``               ``neck.<name>``
``mlp_head.0.<p>``               ``cls_head.norm.<p>``
``mlp_head.1.<p>``               ``cls_head.fc.<p>``
Sync ``constrative_head_audio``  ``backbone.contrastive_blocks_a``
Sync ``constrative_head_visual`` ``backbone.contrastive_blocks_v``
Sync ``cls_cls_token``           ``cls_head.cls_token``
Sync ``classifier_layers``       ``cls_head.blocks``
Sync ``classifier_norm``         ``cls_head.norm``
Sync ``classifier_head``         ``cls_head.fc``
anything else ``<name>``         ``backbone.<name>``
===============================  ======================================

(Sync's ``register_tokens`` and global tokens ``cls_token_a`` /
``cls_token_v`` are ``backbone`` tensors of the same names.)
"""
from collections import OrderedDict
from typing import Dict, List, Sequence, Tuple

from torch import Tensor

from .errors import CheckpointMismatch

MODULE_PREFIX = 'module.'
PRETRAIN, FINETUNE = 'pretrain', 'finetune'
CAVMAE_FAMILY, SYNC_FAMILY = 'cavmae', 'sync'
#: Tensors of the ImageNet-MAE initialisation the official CAV-MAE script
#: adds but no CAV-MAE model uses; dropped with a notice (in a CAV-MAE Sync
#: checkpoint the first two are its global tokens, kept).
UNUSED_OFFICIAL_KEYS = ('cls_token_a', 'cls_token_v', 'cls_token_av')
#: Prefixes only a CAV-MAE Sync checkpoint has.
SYNC_ONLY_PREFIXES = ('register_tokens', 'constrative_head_', 'cls_cls_token',
                      'classifier_')

_SHARED_TO_MM = (('mask_token', 'neck.mask_token'), ('decoder_', 'neck.'),
                 ('mlp_head.0.', 'cls_head.norm.'), ('mlp_head.1.',
                                                     'cls_head.fc.'))
_SYNC_BLOCKS_TO_MM = (('constrative_head_audio.',
                       'backbone.contrastive_blocks_a.'),
                      ('constrative_head_visual.',
                       'backbone.contrastive_blocks_v.'))
_SYNC_HEAD_TO_MM = (('cls_cls_token', 'cls_head.cls_token'),
                    ('classifier_layers.', 'cls_head.blocks.'),
                    ('classifier_norm.',
                     'cls_head.norm.'), ('classifier_head.', 'cls_head.fc.'))
_TO_MM = _SHARED_TO_MM + _SYNC_BLOCKS_TO_MM + _SYNC_HEAD_TO_MM + \
    (('', 'backbone.'), )
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


def detect_family(official: Dict[str, Tensor]) -> str:
    """'sync' for a CAV-MAE Sync checkpoint (a tensor only Sync has, or
    the two global tokens without the ImageNet init's ``cls_token_av``),
    else 'cavmae'."""
    if any(k.startswith(SYNC_ONLY_PREFIXES) for k in official):
        return SYNC_FAMILY
    if {'cls_token_a', 'cls_token_v'} <= set(official) and \
            'cls_token_av' not in official:
        return SYNC_FAMILY
    return CAVMAE_FAMILY


def detect_kind(official: Dict[str, Tensor]) -> str:
    """'pretrain' (has a decoder) or 'finetune' (has ``mlp_head`` or
    Sync's ``classifier_head``)."""
    has_head = any(
        k.startswith(('mlp_head.', 'classifier_head.')) for k in official)
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
    dropped = [] if detect_family(official) == SYNC_FAMILY else \
        [k for k in official if k in UNUSED_OFFICIAL_KEYS]
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
    # Sync's frame-attention head (it has a class token) takes the
    # ``classifier_*`` names, its LayerNorm + Linear head ``mlp_head``
    head = _SYNC_HEAD_TO_MM if 'cls_head.cls_token' in state_dict else ()
    rules = tuple((new, old) for old, new in _SYNC_BLOCKS_TO_MM + head) + \
        _TO_OFFICIAL
    return OrderedDict(
        (prefix + _rename(k, rules), v) for k, v in state_dict.items())
