"""Name mapping between the released CAV-MAE checkpoints and this package.

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
from typing import Dict, List, Tuple

import torch
from torch import Tensor

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


class CheckpointMismatch(ValueError):
    """A state dict is not a CAV-MAE checkpoint of the expected layout."""


def _rename(key: str, rules) -> str:
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
    """
    official = strip_module_prefix(state_dict)
    kind = detect_kind(official)
    dropped = [k for k in official if k in UNUSED_OFFICIAL_KEYS]
    converted = OrderedDict((_rename(k, _TO_MM), v)
                            for k, v in official.items() if k not in dropped)
    return converted, kind, dropped


def mm_to_official(state_dict: Dict[str, Tensor],
                   module_prefix: bool = True) -> Dict[str, Tensor]:
    """Converts this package's state dict back to the official names."""
    prefix = MODULE_PREFIX if module_prefix else ''
    return OrderedDict(
        (prefix + _rename(k, _TO_OFFICIAL), v) for k, v in state_dict.items())


def _count_blocks(state_dict: Dict[str, Tensor], prefix: str) -> int:
    ids = {
        int(k[len(prefix):].split('.')[0])
        for k in state_dict if k.startswith(prefix)
    }
    return max(ids) + 1 if ids else 0


def infer_model_config(mm_state: Dict[str, Tensor], kind: str) -> dict:
    """Model config (sizes only) that holds exactly these tensors.

    Head counts are not stored in a checkpoint; the released models use 12
    encoder and 16 decoder heads, which are also the defaults here.
    """
    try:
        patch = mm_state['backbone.patch_embed_v.proj.weight']
        embed_dim, in_channels, patch_size = patch.shape[:3]
        num_a = mm_state['backbone.pos_embed_a'].shape[1]
        num_v = mm_state['backbone.pos_embed_v'].shape[1]
    except KeyError as err:
        raise CheckpointMismatch(f'missing {err.args[0]}') from None
    num_mel_bins = 128
    rows = num_mel_bins // patch_size
    side = round(num_v**0.5)
    specific = _count_blocks(mm_state, 'backbone.blocks_a.')
    shared = _count_blocks(mm_state, 'backbone.blocks_u.')
    backbone = dict(
        type='CAVMAEEncoder',
        img_size=side * patch_size,
        audio_length=num_a // rows * patch_size,
        num_mel_bins=num_mel_bins,
        patch_size=patch_size,
        in_channels=in_channels,
        embed_dim=embed_dim,
        depth=specific + shared,
        modality_specific_depth=specific,
        num_heads=12 if embed_dim % 12 == 0 else 1)
    if kind == PRETRAIN:
        dec_dim = mm_state['neck.embed.weight'].shape[0]
        neck = dict(
            type='CAVMAEDecoder',
            img_size=backbone['img_size'],
            audio_length=backbone['audio_length'],
            patch_size=patch_size,
            in_channels=in_channels,
            embed_dim=embed_dim,
            decoder_embed_dim=dec_dim,
            depth=_count_blocks(mm_state, 'neck.blocks.'),
            num_heads=16 if dec_dim % 16 == 0 else 1)
        return dict(
            type='CAVMAE',
            backbone=backbone,
            neck=neck,
            head=dict(type='CAVMAEReconstructionHead'),
            contrastive_head=dict(type='CAVMAEContrastiveHead'))
    num_classes = mm_state['cls_head.fc.weight'].shape[0]
    return dict(
        type='CAVMAERecognizer',
        backbone=backbone,
        cls_head=dict(
            type='CAVMAEClsHead',
            num_classes=num_classes,
            in_channels=embed_dim))


def expected_shapes(model_cfg: dict) -> Dict[str, Tuple[int, ...]]:
    """Names and shapes of the state dict of a model config (no memory)."""
    from cavmae_mm.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def compare_to_model(mm_state: Dict[str, Tensor],
                     model_cfg: dict) -> Tuple[List[str], List[str]]:
    """Missing and unexpected (or wrongly shaped) keys against a model."""
    expected = expected_shapes(model_cfg)
    missing = [k for k in expected if k not in mm_state]
    unexpected = [
        k if k not in expected else
        f'{k} (shape {tuple(mm_state[k].shape)}, model {expected[k]})'
        for k in mm_state
        if k not in expected or tuple(mm_state[k].shape) != expected[k]
    ]
    return missing, unexpected


def imagenet_mae_to_official(
        mae: Dict[str, Tensor],
        modality_specific_depth: int = 11) -> Dict[str, Tensor]:
    """The official CAV-MAE pretraining tensors made from a vision MAE.

    The reference's rules: blocks ``0..k-1`` go to both ``blocks_a`` and
    ``blocks_v``, the rest to ``blocks_u`` (whose audio and visual
    LayerNorms copy the joint ones); ``norm`` goes to ``norm``, ``norm_a``
    and ``norm_v``; the patch embedding goes to the visual one and, summed
    over RGB, to the audio one; the position tables without the cls token go
    to the visual tables; the decoder is copied, and ``decoder_pred`` goes to
    the visual predictor and its first p*p rows to the audio predictor.

    Args:
        mae (dict): The vision MAE's ``model`` tensors, with its decoder.
        modality_specific_depth (int): k. Defaults to 11.

    Raises:
        CheckpointMismatch: Not a vision MAE with decoder, or too few
            blocks for k.
    """
    try:
        depth = 1 + max(
            int(k.split('.')[1]) for k in mae if k.startswith('blocks.'))
        patch_w = mae['patch_embed.proj.weight']
        out = {}
        for key, value in mae.items():
            if key.startswith('blocks.'):
                _, idx, rest = key.split('.', 2)
                idx = int(idx)
                if idx < modality_specific_depth:
                    out[f'blocks_a.{idx}.{rest}'] = value.clone()
                    out[f'blocks_v.{idx}.{rest}'] = value.clone()
                else:
                    shared = idx - modality_specific_depth
                    out[f'blocks_u.{shared}.{rest}'] = value.clone()
                    for norm in ('norm1', 'norm2'):
                        if rest.startswith(norm + '.'):
                            param = rest.split('.', 1)[1]
                            for mod in ('a', 'v'):
                                out[f'blocks_u.{shared}.{norm}_{mod}.'
                                    f'{param}'] = value.clone()
            elif key.startswith(('decoder_blocks.', 'decoder_embed.',
                                 'decoder_norm.')) or key == 'mask_token':
                out[key] = value.clone()
        for param in ('weight', 'bias'):
            for name in ('norm', 'norm_a', 'norm_v'):
                out[f'{name}.{param}'] = mae[f'norm.{param}'].clone()
        out['patch_embed_v.proj.weight'] = patch_w.clone()
        out['patch_embed_v.proj.bias'] = mae['patch_embed.proj.bias'].clone()
        out['patch_embed_a.proj.weight'] = patch_w.sum(dim=1, keepdim=True)
        out['patch_embed_a.proj.bias'] = mae['patch_embed.proj.bias'].clone()
        out['pos_embed_v'] = mae['pos_embed'][:, 1:].clone()
        out['decoder_pos_embed_v'] = mae['decoder_pos_embed'][:, 1:].clone()
        audio_rows = patch_w.shape[-1] * patch_w.shape[-2]
        out['decoder_pred_v.weight'] = mae['decoder_pred.weight'].clone()
        out['decoder_pred_v.bias'] = mae['decoder_pred.bias'].clone()
        out['decoder_pred_a.weight'] = \
            mae['decoder_pred.weight'][:audio_rows].clone()
        out['decoder_pred_a.bias'] = \
            mae['decoder_pred.bias'][:audio_rows].clone()
    except (KeyError, ValueError) as err:
        raise CheckpointMismatch(
            f'not a vision-MAE checkpoint with decoder (missing {err})'
        ) from err
    if depth <= modality_specific_depth:
        raise CheckpointMismatch(f'{depth} blocks cannot give '
                                 f'{modality_specific_depth} specific ones')
    return out
