"""The CAV-MAE transformer block: shared weights, three sets of LayerNorms."""
from typing import Iterable, Type

import torch
from timm.layers import Attention, DropPath, Mlp
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

#: Which LayerNorm pair a block uses for each kind of input.
NORM_SETS = ('joint', 'audio', 'visual')


class TriNormBlock(nn.Module):
    """Pre-norm ViT block whose attention and MLP weights serve three inputs.

    CAV-MAE's shared layers see the joint audio-visual sequence, the audio
    tokens alone and the visual tokens alone. The weights are shared, but each
    kind of input has its own LayerNorm pair: ``norm1/norm2`` (joint),
    ``norm1_a/norm2_a`` (audio), ``norm1_v/norm2_v`` (visual). The
    modality-specific blocks and the decoder use the same class and only the
    joint pair, so that the parameter names match the released checkpoints.

    Attention is timm's: the fused ``F.scaled_dot_product_attention``
    kernel by default, or, with ``fused_attn=False``, the plain math path
    (``softmax(q k^T * scale) v`` written out, as the official code computes
    it; the reference computation of ``tools/analysis_tools/benchmark.py``).

    Args:
        dim (int): Token width.
        num_heads (int): Attention heads.
        mlp_ratio (float): Hidden width of the MLP relative to ``dim``.
        qkv_bias (bool): Bias in the qkv projection.
        drop_path (float): Stochastic depth rate.
        norm_layer (type): Normalisation layer class.
        fused_attn (bool): Fused attention kernel. Defaults to True.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_path: float = 0.0,
                 norm_layer: Type[nn.Module] = nn.LayerNorm,
                 fused_attn: bool = True) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.norm1_a = norm_layer(dim)
        self.norm1_v = norm_layer(dim)
        self.attn = Attention(dim, num_heads=num_heads, qkv_bias=qkv_bias)
        self.attn.fused_attn = fused_attn
        self.drop_path = DropPath(
            drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.norm2_a = norm_layer(dim)
        self.norm2_v = norm_layer(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio))
        self._norm_pairs = {
            'joint': ('norm1', 'norm2'),
            'audio': ('norm1_a', 'norm2_a'),
            'visual': ('norm1_v', 'norm2_v'),
        }

    def train_only_norm_sets(self, norm_sets) -> None:
        """Marks the LayerNorm pairs of other norm sets as not trainable.

        A pair that the model never uses receives no gradient; saying so
        lets DistributedDataParallel run without searching for unused
        parameters. Numerically nothing changes.
        """
        for norm_set, names in self._norm_pairs.items():
            for name in names:
                getattr(self, name).requires_grad_(norm_set in norm_sets)

    def forward(self, x: Tensor, norm_set: str = 'joint') -> Tensor:
        """Runs the block.

        Args:
            x (Tensor): Tokens [B, N, dim].
            norm_set (str): One of ``'joint'``, ``'audio'``, ``'visual'``.

        Returns:
            Tensor: Tokens [B, N, dim].
        """
        try:
            name1, name2 = self._norm_pairs[norm_set]
        except KeyError:
            raise ValueError(f'norm_set must be one of {NORM_SETS}, '
                             f'got {norm_set!r}') from None
        x = x + self.drop_path(self.attn(getattr(self, name1)(x)))
        x = x + self.drop_path(self.mlp(getattr(self, name2)(x)))
        return x


def run_blocks(blocks: Iterable[TriNormBlock],
               x: Tensor,
               norm_set: str = 'joint',
               with_cp: bool = False) -> Tensor:
    """Runs ``x`` through ``blocks`` in order.

    With ``with_cp`` and gradients enabled, each block is recomputed in the
    backward pass instead of keeping its activations (activation
    checkpointing): less memory for larger per-GPU batches, about one more
    forward pass of compute, the same numbers.
    """
    checkpointing = with_cp and torch.is_grad_enabled()
    for block in blocks:
        if checkpointing:
            x = checkpoint(block, x, norm_set, use_reentrant=False)
        else:
            x = block(x, norm_set)
    return x


def set_fused_attention(model: nn.Module, fused: bool) -> nn.Module:
    """Switches every attention layer of ``model`` between the fused kernel
    and the plain math path (same weights, same function)."""
    for module in model.modules():
        if isinstance(module, Attention):
            module.fused_attn = fused
    return model
