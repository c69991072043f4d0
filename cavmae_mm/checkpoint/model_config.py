"""The model config a converted state dict fits, and how well it fits.

A converted official checkpoint carries no config; its tensor shapes give
the sizes (embedding width, patch size, depths, clip length), and the
state dict is then checked against the model that config builds, on
PyTorch's meta device (no memory).
"""
from typing import Dict, List, Tuple

import torch
from torch import Tensor

from cavmae_mm.geometry import InputGeometry
from .errors import CheckpointMismatch
from .official import PRETRAIN

#: Mel bins of every released model (not stored in a checkpoint).
NUM_MEL_BINS = 128


def count_blocks(state_dict: Dict[str, Tensor], prefix: str) -> int:
    """How many numbered blocks ``<prefix><i>.`` the state dict holds."""
    ids = {
        int(k[len(prefix):].split('.')[0])
        for k in state_dict if k.startswith(prefix)
    }
    return max(ids) + 1 if ids else 0


def backbone_config(mm_state: Dict[str, Tensor]) -> dict:
    """The ``CAVMAEEncoder`` config of a state dict's ``backbone`` tensors.

    Head counts are not stored in a checkpoint; the released encoders use
    12, also the default here.

    Raises:
        CheckpointMismatch: The patch embedding or a position table is
            missing.
    """
    try:
        patch = mm_state['backbone.patch_embed_v.proj.weight']
        embed_dim, in_channels, patch_size = patch.shape[:3]
        num_a = mm_state['backbone.pos_embed_a'].shape[1]
        num_v = mm_state['backbone.pos_embed_v'].shape[1]
    except KeyError as err:
        raise CheckpointMismatch(f'missing {err.args[0]}') from None
    try:
        geometry = InputGeometry.from_token_counts(num_a, num_v, NUM_MEL_BINS,
                                                   patch_size)
    except ValueError as err:
        raise CheckpointMismatch(f'position tables: {err}') from None
    specific = count_blocks(mm_state, 'backbone.blocks_a.')
    shared = count_blocks(mm_state, 'backbone.blocks_u.')
    return dict(
        sync_options(mm_state),
        target_length=geometry.target_length,
        num_mel_bins=geometry.num_mel_bins,
        frame_size=geometry.frame_size,
        patch_size=patch_size,
        in_channels=in_channels,
        embed_dim=embed_dim,
        depth=specific + shared,
        modality_specific_depth=specific,
        num_heads=12 if embed_dim % 12 == 0 else 1)


def is_sync_state(mm_state: Dict[str, Tensor]) -> bool:
    """Whether a converted state dict is a CAV-MAE Sync model's."""
    return any(
        k.startswith(('backbone.register_tokens', 'backbone.cls_token_',
                      'backbone.contrastive_blocks_', 'cls_head.cls_token'))
        for k in mm_state)


def sync_options(mm_state: Dict[str, Tensor]) -> dict:
    """The encoder type, and for CAV-MAE Sync its token and block options,
    of a converted state dict."""
    if not is_sync_state(mm_state):
        return dict(type='CAVMAEEncoder')
    registers = mm_state.get('backbone.register_tokens')
    return dict(
        type='CAVMAESyncEncoder',
        num_register_tokens=0 if registers is None else registers.shape[0] //
        2,
        global_tokens='backbone.cls_token_a' in mm_state,
        contrastive_depth=count_blocks(mm_state,
                                       'backbone.contrastive_blocks_a.'))


def cls_head_config(mm_state: Dict[str, Tensor], embed_dim: int) -> dict:
    """The head of a finetuned state dict: CAV-MAE Sync's frame-attention
    head (it has a class token; 16 frames and 12 heads, as the official
    code, are not stored) or LayerNorm + Linear."""
    num_classes = mm_state['cls_head.fc.weight'].shape[0]
    if 'cls_head.cls_token' not in mm_state:
        return dict(
            type='CAVMAEClsHead',
            num_classes=num_classes,
            in_channels=embed_dim)
    width = mm_state['cls_head.cls_token'].shape[-1]
    return dict(
        type='CAVMAEFrameAttentionHead',
        num_classes=num_classes,
        in_channels=width,
        depth=count_blocks(mm_state, 'cls_head.blocks.'),
        num_heads=12 if width % 12 == 0 else 1)


def decoder_config(mm_state: Dict[str, Tensor], backbone: dict) -> dict:
    """The ``CAVMAEDecoder`` config of a state dict's ``neck`` tensors
    (16 heads, as the released decoders)."""
    dec_dim = mm_state['neck.embed.weight'].shape[0]
    return dict(
        type='CAVMAEDecoder',
        target_length=backbone['target_length'],
        num_mel_bins=backbone['num_mel_bins'],
        frame_size=backbone['frame_size'],
        patch_size=backbone['patch_size'],
        in_channels=backbone['in_channels'],
        embed_dim=backbone['embed_dim'],
        decoder_embed_dim=dec_dim,
        depth=count_blocks(mm_state, 'neck.blocks.'),
        num_heads=16 if dec_dim % 16 == 0 else 1)


def infer_model_config(mm_state: Dict[str, Tensor], kind: str) -> dict:
    """Model config (sizes only) that holds exactly these tensors: a
    ``CAVMAE`` for a 'pretrain' state dict, else a ``CAVMAERecognizer``.

    Raises:
        CheckpointMismatch: See :func:`backbone_config`.
    """
    backbone = backbone_config(mm_state)
    sync = backbone['type'] == 'CAVMAESyncEncoder'
    if kind == PRETRAIN:
        pooling = 'global' if backbone.get('global_tokens') else 'mean'
        return dict(
            type='CAVMAE',
            backbone=backbone,
            neck=decoder_config(mm_state, backbone),
            reconstruction_head=dict(type='CAVMAEReconstructionHead'),
            contrastive_head=dict(
                type='CAVMAEContrastiveHead', pooling=pooling))
    head = cls_head_config(mm_state, backbone['embed_dim'])
    model = dict(
        type='CAVMAESyncRecognizer' if sync else 'CAVMAERecognizer',
        backbone=backbone,
        cls_head=head)
    if head.get('in_channels') == backbone['embed_dim'] and \
            head['type'] == 'CAVMAEFrameAttentionHead':
        # one modality's frames; which one is not stored (set
        # model.modality=visual for a visual-only model)
        model['modality'] = 'audio'
    return model


def expected_shapes(model_cfg: dict) -> Dict[str, Tuple[int, ...]]:
    """Names and shapes of the state dict of a model config (no memory)."""
    from cavmae_mm.registry import MODELS  # MMAction2, on first use
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
