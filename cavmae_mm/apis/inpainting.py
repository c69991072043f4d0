"""Masked reconstruction of audio spectrograms and frames (inpainting)."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from cavmae_mm.models.layers import audio_as_image, patchify, unpatchify


def _patch_mask(mask: Tensor, patch: int, channels: int) -> Tensor:
    """[B, L] token mask -> [B, L, p*p*C] patch mask."""
    return mask[..., None].expand(-1, -1, patch * patch * channels)


@torch.no_grad()
def inpaint(model: nn.Module,
            inputs: Dict[str, Tensor],
            noise: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
    """Masks a batch, reconstructs it, and returns displayable tensors.

    With a model trained with ``norm_pix`` (e.g. CAV-MAE-Scale++) the
    predictions are per-patch normalised; they are mapped back with each
    original patch's mean and std (the usual MAE visualisation). The
    released no-norm-pix model (CAV-MAE-Base-NoNorm) predicts pixels and
    fbank values directly, which is what inpainting is meant for.

    Args:
        model (nn.Module): The pretraining model (``CAVMAE``).
        inputs (dict): Normalised ``audios`` [B, T, F] and ``imgs``
            [B, 3, H, W] (after the data preprocessor).
        noise (dict, optional): Masking sort keys (see ``CAVMAE.loss``).

    Returns:
        dict: for 'audio' ([B, 1, F, T]) and 'visual' ([B, 3, H, W]), the
        ``original``, ``masked`` (masked patches set to 0), ``prediction``
        (every patch predicted) and ``reconstruction`` (visible patches
        kept, masked ones predicted), plus the token masks ``mask_a`` and
        ``mask_v``.
    """
    out = model.reconstruct(inputs, noise=noise)
    p = model.reconstruction_head.patch_size
    encoder = model.backbone
    result: Dict[str, Tensor] = dict(
        mask_a=out['mask_a'], mask_v=out['mask_v'])
    for name, image, pred, mask, grid in (('audio',
                                           audio_as_image(inputs['audios']),
                                           out['pred_a'], out['mask_a'],
                                           encoder.geometry.audio_grid),
                                          ('visual', inputs['imgs'],
                                           out['pred_v'], out['mask_v'],
                                           encoder.geometry.visual_grid)):
        channels = image.shape[1]
        target = patchify(image, p)
        if model.reconstruction_head.norm_pix:
            mean = target.mean(dim=-1, keepdim=True)
            std = (target.var(dim=-1, keepdim=True) + 1.e-6)**.5
            pred = pred * std + mean
        hidden = _patch_mask(mask, p, channels).bool()
        masked = target.masked_fill(hidden, 0.0)
        mixed = torch.where(hidden, pred, target)
        shape = (channels, grid[0], grid[1], p)
        result[name] = dict(
            original=image,
            masked=unpatchify(masked, *shape),
            prediction=unpatchify(pred, *shape),
            reconstruction=unpatchify(mixed, *shape))
    return result
