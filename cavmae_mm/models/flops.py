"""Model FLOPs of CAV-MAE and CAV-MAE Sync, from the sizes of a built
model.

Counts the matrix products (linear layers, patch-embedding convolutions,
the two attention products), 2 FLOPs per multiply-add, the convention of
``torch.utils.flop_counter`` and of model-FLOPs utilisation: normalisation,
activations, softmax and the masking gathers are left out (they are a few
percent). A training step is taken as 3 x the forward pass (the backward
pass computes two products per forward product).

:func:`model_flops` and :func:`parameter_counts` summarise a built model
for ``tools/analysis_tools/get_flops.py``: FLOPs per use (the pretraining
step and the unmasked encoder paths, or each modality of a recognizer) and
parameters per part (the encoder's audio, visual and shared parts apart).
"""
from typing import Dict, List, NamedTuple, Optional

import torch
from torch import nn

from .layers.masking import num_kept
from .modality import MODALITY_PATHS, PATHS, inputs_of
from .pretrainers.cavmae import CAVMAE
from .recognizers import CAVMAERecognizer


def linear_flops(tokens: int, in_features: int, out_features: int) -> int:
    """A linear layer applied to ``tokens`` vectors."""
    return 2 * tokens * in_features * out_features


def block_flops(block: nn.Module, tokens: int) -> int:
    """One pre-norm transformer block (attention + MLP) on ``tokens``."""
    dim = block.attn.qkv.in_features
    hidden = block.mlp.fc1.out_features
    projections = (
        linear_flops(tokens, dim, 3 * dim) + linear_flops(tokens, dim, dim) +
        linear_flops(tokens, dim, hidden) + linear_flops(tokens, hidden, dim))
    attention = 2 * (2 * tokens * tokens * dim)  # q k^T and attn v
    return projections + attention


def blocks_flops(blocks, tokens: int) -> int:
    return sum(block_flops(block, tokens) for block in blocks)


def patch_embed_flops(encoder: nn.Module) -> Dict[str, int]:
    """The audio and visual patch-embedding convolutions (all patches)."""
    out = {}
    for tag, count in (('a', encoder.geometry.num_audio_patches),
                       ('v', encoder.geometry.num_visual_patches)):
        proj = getattr(encoder, f'patch_embed_{tag}').proj
        per_patch = proj.in_channels * proj.kernel_size[0] * \
            proj.kernel_size[1]
        out[tag] = linear_flops(count, per_patch, proj.out_channels)
    return out


def extra_tokens(encoder: nn.Module, used: bool = True) -> Dict[str, int]:
    """The tokens a CAV-MAE Sync encoder adds to each modality: ``global``
    (0 or 1), ``registers`` in the modality-specific blocks and ``kept``
    registers in the shared ones (all 0 for CAV-MAE, or when not ``used``:
    Sync's missing-modality modes)."""
    if not used:
        return dict(global_=0, registers=0, kept=0)
    registers = getattr(encoder, 'num_register_tokens', 0)
    return dict(
        global_=int(getattr(encoder, 'global_tokens', False)),
        registers=registers,
        kept=registers
        if getattr(encoder, 'keep_register_tokens', False) else 0)


def encoder_flops(encoder: nn.Module,
                  tokens_a: int,
                  tokens_v: int,
                  paths=('joint', ),
                  with_extra_tokens: bool = True) -> int:
    """Patch embedding, modality-specific blocks once, shared blocks once
    per path (and CAV-MAE Sync's contrastive blocks on the ``audio`` and
    ``visual`` paths), with ``tokens_a`` / ``tokens_v`` patch tokens left
    after masking, plus the encoder's own tokens (:func:`extra_tokens`)."""
    embed = patch_embed_flops(encoder)
    extra = extra_tokens(encoder, with_extra_tokens)
    tokens = dict(audio=tokens_a, visual=tokens_v)
    total = 0
    for modality in inputs_of(paths):
        tag = modality[0]
        total += embed[tag] + blocks_flops(
            getattr(encoder, f'blocks_{tag}'),
            tokens[modality] + extra['global_'] + extra['registers'])
    for path in paths:
        spec = PATHS[path]
        if spec.norm_set is None:
            continue
        count = sum(tokens[m] + extra['kept'] for m in spec.inputs)
        if len(spec.inputs) == 1:
            count += extra['global_']
        total += blocks_flops(encoder.blocks_u, count)
        if spec.norm_set in ('audio', 'visual'):
            total += blocks_flops(
                getattr(encoder, f'contrastive_blocks_{spec.norm_set[0]}', ()),
                count)
    return total


def pretrain_flops(model: nn.Module, batch_size: int) -> Dict[str, float]:
    """FLOPs per sample of a :class:`CAVMAE` pretraining step.

    Args:
        model: A built ``CAVMAE``.
        batch_size (int): Samples per step (the contrastive similarity
            matrix grows with it).

    Returns:
        dict: ``forward`` and ``train_step`` FLOPs per sample.
    """
    encoder = model.backbone
    kept_a = num_kept(encoder.geometry.num_audio_patches, model.mask_ratio_a)
    kept_v = num_kept(encoder.geometry.num_visual_patches, model.mask_ratio_v)
    forward = encoder_flops(encoder, kept_a, kept_v, model.loss_paths)
    if model.with_reconstruction:
        neck = model.neck
        dim_d = neck.decoder_embed_dim
        tokens_a = neck.geometry.num_audio_patches
        tokens_v = neck.geometry.num_visual_patches
        forward += linear_flops(kept_a + kept_v, neck.embed.in_features, dim_d)
        forward += blocks_flops(neck.blocks, tokens_a + tokens_v)
        forward += linear_flops(tokens_a, dim_d, neck.pred_a.out_features)
        forward += linear_flops(tokens_v, dim_d, neck.pred_v.out_features)
    if model.with_contrastive:
        # one row of the B x B similarity matrix per sample, per pooled
        # feature (Sync's global and local) and direction
        head = model.contrastive_head
        matrices = len(head.pooled(torch.zeros(1, 2, 1))) * \
            (2 if head.bidirectional else 1)
        forward += 2 * batch_size * encoder.embed_dim * matrices
    return dict(forward=float(forward), train_step=3.0 * forward)


def recognizer_flops(model: nn.Module) -> Dict[str, float]:
    """FLOPs per sample (one frame) of a :class:`CAVMAERecognizer` step in
    its current modality."""
    encoder = model.backbone
    forward = encoder_flops(encoder, encoder.geometry.num_audio_patches,
                            encoder.geometry.num_visual_patches, model.paths,
                            getattr(model, 'uses_extra_tokens', True))
    head = model.cls_head
    frames = getattr(head, 'num_frames', 1)
    # a frame-attention head runs once per clip: its share per frame
    forward += blocks_flops(getattr(head, 'blocks', ()), frames + 1) / frames
    forward += linear_flops(1, head.fc.in_features,
                            head.fc.out_features) / frames
    return dict(forward=float(forward), train_step=3.0 * forward)


class FlopsRow(NamedTuple):
    """FLOPs per sample of one use of a model."""
    name: str
    forward: float
    #: None for an inference-only use
    train_step: Optional[float]


def model_flops(model: nn.Module, batch_size: int = 1) -> List[FlopsRow]:
    """FLOPs per sample of each use of a built CAV-MAE model.

    A :class:`CAVMAE`: its pretraining step (with the masking ratios and
    ``batch_size``) and each encoder path without masking (the ``audio``
    and ``visual`` paths serve retrieval and features, ``joint`` the fused
    representation). A :class:`CAVMAERecognizer`: each modality of
    :data:`MODALITY_PATHS`, per frame, the configured one first (the
    model's modality is restored afterwards).

    Raises:
        TypeError: Another model class.
    """
    if isinstance(model, CAVMAE):
        step = pretrain_flops(model, batch_size)
        rows = [
            FlopsRow(
                f'pretraining step (mask a {model.mask_ratio_a:g}, '
                f'v {model.mask_ratio_v:g}; batch {batch_size})',
                step['forward'], step['train_step'])
        ]
        encoder = model.backbone
        for path in ('audio', 'visual', 'joint'):
            rows.append(
                FlopsRow(
                    f'encoder {path} path, unmasked',
                    float(
                        encoder_flops(encoder,
                                      encoder.geometry.num_audio_patches,
                                      encoder.geometry.num_visual_patches,
                                      (path, ))), None))
        return rows
    if isinstance(model, CAVMAERecognizer):
        configured = model.modality
        rows = []
        # a frame-attention head reads the configured modality's width only
        others = [] if hasattr(model.cls_head, 'num_frames') else [
            m for m in MODALITY_PATHS if m != configured
        ]
        try:
            for modality in [configured] + others:
                model.modality = modality
                counted = recognizer_flops(model)
                name = modality + (' (config)'
                                   if modality == configured else '')
                rows.append(
                    FlopsRow(name, counted['forward'], counted['train_step']))
        finally:
            model.modality = configured
        return rows
    raise TypeError(f'no FLOP formula for {type(model).__name__} (only '
                    'CAVMAE and CAVMAERecognizer)')


def _encoder_part(name: str) -> str:
    """The encoder part of a parameter name: audio, visual or shared."""
    first = name.split('.', 1)[0]
    if first.endswith('_a'):
        return 'audio'
    if first.endswith('_v'):
        return 'visual'
    return 'shared'


def parameter_counts(model: nn.Module) -> Dict[str, Dict[str, int]]:
    """Parameters per part: ``{part: {'total': n, 'trainable': n}}``.

    The parts are the model's top-level modules, the encoder (``backbone``)
    split into its audio-specific, visual-specific and shared parameters
    (``backbone (audio)`` etc.), and ``total``. Trainable means
    ``requires_grad`` as built (a recognizer trains only its modality's
    paths; a linear probe freezes the encoder).
    """
    counts: Dict[str, Dict[str, int]] = {}
    for name, param in model.named_parameters():
        top, rest = name.split('.', 1) if '.' in name else (name, name)
        part = f'{top} ({_encoder_part(rest)})' if top == 'backbone' else top
        for key in (part, 'total'):
            entry = counts.setdefault(key, dict(total=0, trainable=0))
            entry['total'] += param.numel()
            entry['trainable'] += param.numel() if param.requires_grad else 0
    counts['total'] = counts.pop('total', dict(total=0, trainable=0))
    return counts
