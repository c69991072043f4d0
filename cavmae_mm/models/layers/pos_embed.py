"""Fixed 2-D sin-cos position tables of CAV-MAE (filled in
``init_weights``)."""
import torch
from torch import Tensor


def _sincos_1d(embed_dim: int, positions: Tensor) -> Tensor:
    """Sin-cos code of 1-D positions: ``[sin(p * w), cos(p * w)]``.

    Args:
        embed_dim (int): Width of the code, even.
        positions (Tensor): Positions, shape [M].

    Returns:
        Tensor: float64 codes, shape [M, embed_dim].
    """
    if embed_dim % 2:
        raise ValueError(f'embed_dim must be even, got {embed_dim}')
    omega = torch.arange(embed_dim // 2, dtype=torch.float64) / (embed_dim / 2)
    omega = 1.0 / 10000**omega
    angles = positions.to(torch.float64)[:, None] * omega[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_pos_embed_2d(embed_dim: int, grid_h: int, grid_w: int) -> Tensor:
    """2-D sin-cos position table, exactly as the released CAV-MAE stores it.

    Tokens are ordered row-major over a (grid_h, grid_w) grid (for audio that
    is (frequency=8, time=T/16), the patch embedding's frequency-major order).
    The first half of the channels encodes the column index, the second half
    the row index; each half is ``[sin, cos]`` with the MAE frequencies,
    computed in float64 and returned as float32.

    Args:
        embed_dim (int): Channels, divisible by 4.
        grid_h (int): Rows of the patch grid.
        grid_w (int): Columns of the patch grid.

    Returns:
        Tensor: The table, shape [grid_h * grid_w, embed_dim], float32.
    """
    if embed_dim % 4:
        raise ValueError(f'embed_dim must be divisible by 4, got {embed_dim}')
    rows = torch.arange(grid_h).repeat_interleave(grid_w)
    cols = torch.arange(grid_w).repeat(grid_h)
    table = torch.cat(
        [_sincos_1d(embed_dim // 2, cols),
         _sincos_1d(embed_dim // 2, rows)],
        dim=1)
    return table.float()


def trim_time_columns(table: Tensor, grid_h: int, grid_w: int) -> Tensor:
    """Keeps the first ``grid_w`` time columns of an audio position table.

    Args:
        table (Tensor): Table of shape [1, grid_h * W, D] for some W >= grid_w,
            tokens row-major over (grid_h, W).
        grid_h (int): Rows (frequency patches) of the table.
        grid_w (int): Columns (time patches) to keep.

    Returns:
        Tensor: Shape [1, grid_h * grid_w, D], the same rows of the same grid.
    """
    _, length, dim = table.shape
    if length % grid_h or length // grid_h < grid_w:
        raise ValueError(
            f'cannot trim a position table of {length} tokens on {grid_h} '
            f'rows to {grid_w} columns')
    full_w = length // grid_h
    return table.reshape(1, grid_h, full_w,
                         dim)[:, :, :grid_w].reshape(1, grid_h * grid_w, dim)
