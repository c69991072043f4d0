"""Patch <-> image conversions used for the reconstruction targets."""
from torch import Tensor


def patchify(images: Tensor, patch_size: int) -> Tensor:
    """Cuts images into flattened patches in CAV-MAE's target order.

    Args:
        images (Tensor): [B, C, H, W] with H and W divisible by patch_size.
        patch_size (int): Side of a square patch.

    Returns:
        Tensor: [B, (H/p) * (W/p), p * p * C], row-major patches, each
        flattened as (p_row, p_col, channel) ('nchpwq->nhwpqc').
    """
    b, c, h, w = images.shape
    p = patch_size
    if h % p or w % p:
        raise ValueError(f'image size {(h, w)} is not divisible by {p}')
    x = images.reshape(b, c, h // p, p, w // p, p)
    x = x.permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(patches: Tensor, channels: int, grid_h: int, grid_w: int,
               patch_size: int) -> Tensor:
    """Inverse of :func:`patchify`.

    Args:
        patches (Tensor): [B, grid_h * grid_w, p * p * channels].
        channels (int): Image channels.
        grid_h (int): Patch rows.
        grid_w (int): Patch columns.
        patch_size (int): Side of a square patch.

    Returns:
        Tensor: [B, channels, grid_h * p, grid_w * p].
    """
    b, length, _ = patches.shape
    p = patch_size
    if length != grid_h * grid_w:
        raise ValueError(f'{length} patches do not form a {grid_h}x{grid_w} '
                         'grid')
    x = patches.reshape(b, grid_h, grid_w, p, p, channels)
    x = x.permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, channels, grid_h * p, grid_w * p)


def audio_as_image(fbank: Tensor) -> Tensor:
    """Views a batch of fbank [B, T, F] as one-channel images [B, 1, F, T]."""
    return fbank.unsqueeze(1).transpose(2, 3)
