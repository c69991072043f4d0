"""Model FLOPs of CAV-MAE, from the sizes of a built model.

Counts the matrix products (linear layers, patch-embedding convolutions,
the two attention products), 2 FLOPs per multiply-add, the convention of
``torch.utils.flop_counter`` and of model-FLOPs utilisation: normalisation,
activations, softmax and the masking gathers are left out (they are a few
percent). A training step is taken as 3 x the forward pass (the backward
pass computes two products per forward product).
"""
from typing import Dict

from torch import nn

from cavmae_mm.models.backbones.cavmae_encoder import PATHS
from cavmae_mm.models.layers.masking import num_kept


def linear_flops(tokens: int, in_features: int, out_features: int) -> int:
    """A linear layer applied to ``tokens`` vectors."""
    return 2 * tokens * in_features * out_features


def block_flops(block: nn.Module, tokens: int) -> int:
    """One pre-norm transformer block (attention + MLP) on ``tokens``."""
    dim = block.attn.qkv.in_features
    hidden = block.mlp.fc1.out_features
    projections = (linear_flops(tokens, dim, 3 * dim) +
                   linear_flops(tokens, dim, dim) +
                   linear_flops(tokens, dim, hidden) +
                   linear_flops(tokens, hidden, dim))
    attention = 2 * (2 * tokens * tokens * dim)  # q k^T and attn v
    return projections + attention


def blocks_flops(blocks, tokens: int) -> int:
    return sum(block_flops(block, tokens) for block in blocks)


def patch_embed_flops(encoder: nn.Module) -> Dict[str, int]:
    """The audio and visual patch-embedding convolutions (all patches)."""
    out = {}
    for tag, count in (('a', encoder.num_patches_a),
                       ('v', encoder.num_patches_v)):
        proj = getattr(encoder, f'patch_embed_{tag}').proj
        per_patch = proj.in_channels * proj.kernel_size[0] * \
            proj.kernel_size[1]
        out[tag] = linear_flops(count, per_patch, proj.out_channels)
    return out


def encoder_flops(encoder: nn.Module, tokens_a: int, tokens_v: int,
                  paths=('joint', )) -> int:
    """Patch embedding, modality-specific blocks once, shared blocks once
    per path, with ``tokens_a`` / ``tokens_v`` tokens left after masking."""
    embed = patch_embed_flops(encoder)
    tokens = dict(audio=tokens_a, visual=tokens_v)
    total = 0
    for modality in {m for path in paths for m in PATHS[path][0]}:
        tag = modality[0]
        total += embed[tag] + blocks_flops(getattr(encoder, f'blocks_{tag}'),
                                           tokens[modality])
    for path in paths:
        total += blocks_flops(encoder.blocks_u,
                              sum(tokens[m] for m in PATHS[path][0]))
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
    kept_a = num_kept(encoder.num_patches_a, model.mask_ratio_a)
    kept_v = num_kept(encoder.num_patches_v, model.mask_ratio_v)
    forward = encoder_flops(encoder, kept_a, kept_v, model.loss_paths)
    if model.with_reconstruction:
        neck = model.neck
        dim_d = neck.decoder_embed_dim
        full = neck.num_patches_a + neck.num_patches_v
        forward += linear_flops(kept_a + kept_v, neck.embed.in_features,
                                dim_d)
        forward += blocks_flops(neck.blocks, full)
        forward += linear_flops(neck.num_patches_a, dim_d,
                                neck.pred_a.out_features)
        forward += linear_flops(neck.num_patches_v, dim_d,
                                neck.pred_v.out_features)
    if model.with_contrastive:
        # one row of the B x B similarity matrix per sample
        forward += 2 * batch_size * encoder.embed_dim
    return dict(forward=float(forward), train_step=3.0 * forward)


def recognizer_flops(model: nn.Module) -> Dict[str, float]:
    """FLOPs per sample (one frame) of a :class:`CAVMAERecognizer` step in
    its current modality."""
    encoder = model.backbone
    forward = encoder_flops(encoder, encoder.num_patches_a,
                            encoder.num_patches_v, model.paths)
    fc = model.cls_head.fc
    forward += linear_flops(1, fc.in_features, fc.out_features)
    return dict(forward=float(forward), train_step=3.0 * forward)
