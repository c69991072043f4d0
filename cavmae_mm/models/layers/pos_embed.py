"""Fixed 2-D sin-cos position tables of CAV-MAE.

The encoder and the decoder each hold an audio and a visual table
(``pos_embed_a`` [1, La, D], ``pos_embed_v`` [1, Lv, D]) on the grids of
their :class:`~cavmae_mm.geometry.InputGeometry` (``geometry``):
:func:`add_pos_embed` creates them (zeros) with the load pre-hook
:func:`trim_audio_pos_embed`, :func:`fill_pos_embed` fills them in
``init_weights``.
"""
import torch
from mmengine.logging import print_log
from torch import Tensor, nn


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


def add_pos_embed(module: nn.Module, dim: int, trainable: bool) -> None:
    """Gives ``module`` its position tables and their load pre-hook.

    Registers ``pos_embed_a`` [1, audio tokens, dim] and ``pos_embed_v``
    [1, visual tokens, dim] on the grids of ``module.geometry`` (zeros until
    :func:`fill_pos_embed`), trainable or not, and
    :func:`trim_audio_pos_embed` as a load pre-hook.

    Args:
        module (nn.Module): The encoder or the decoder, with its
            ``geometry`` (an ``InputGeometry``).
        dim (int): Width of the tables.
        trainable (bool): Train the tables (finetuning) or keep them fixed.
    """
    geometry = module.geometry
    for name, count in (('pos_embed_a', geometry.num_audio_patches),
                        ('pos_embed_v', geometry.num_visual_patches)):
        setattr(
            module, name,
            nn.Parameter(torch.zeros(1, count, dim), requires_grad=trainable))
    module.register_load_state_dict_pre_hook(trim_audio_pos_embed)


@torch.no_grad()
def fill_pos_embed(module: nn.Module) -> None:
    """Fills the tables :func:`add_pos_embed` made with the sin-cos codes of
    their grids."""
    geometry = module.geometry
    for table, grid in ((module.pos_embed_a, geometry.audio_grid),
                        (module.pos_embed_v, geometry.visual_grid)):
        table.copy_(sincos_pos_embed_2d(table.shape[-1], *grid)[None])


def trim_audio_pos_embed(module: nn.Module, state_dict: dict, prefix: str,
                         *args) -> None:
    """Load pre-hook: a longer audio table is cut to the module's grid.

    A checkpoint trained on 10 s clips (1024 frames) loads into a model for
    shorter clips (e.g. 512 frames): the table keeps its first time columns
    on every frequency row (:func:`trim_time_columns`), with a logged
    notice. Tables of the module's size, and shorter ones (which the load
    then reports as mis-shaped), are left alone.
    """
    key = prefix + 'pos_embed_a'
    table = state_dict.get(key)
    wanted = module.pos_embed_a.shape[1]
    if table is None or table.shape[1] <= wanted:
        return
    rows, cols = module.geometry.audio_grid
    state_dict[key] = trim_time_columns(table, rows, cols)
    print_log(
        f'{key}: trimmed the audio position table from {table.shape[1]} to '
        f'{wanted} tokens ({rows} x {cols} patches)',
        logger='current')
