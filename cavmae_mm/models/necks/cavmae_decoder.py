"""The CAV-MAE decoder: reconstructs masked audio and visual patches."""
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from cavmae_mm.geometry import InputGeometry
from cavmae_mm.registry import MODELS
from ..layers import (TriNormBlock, add_pos_embed, fill_pos_embed,
                      init_linear_and_norm, run_blocks)


def _unshuffle(kept: Tensor, mask_token: Tensor,
               ids_restore: Tensor) -> Tensor:
    """Appends mask tokens to the kept tokens and restores token order."""
    batch, length = ids_restore.shape
    dim = kept.shape[-1]
    fill = mask_token.expand(batch, length - kept.shape[1], dim)
    full = torch.cat([kept, fill], dim=1)
    return torch.gather(full, 1, ids_restore.unsqueeze(-1).expand(-1, -1, dim))


@MODELS.register_module()
class CAVMAEDecoder(BaseModule):
    """Joint audio-visual MAE decoder (the pretraining model's neck).

    Projects the joint encoder output to ``decoder_embed_dim``, fills masked
    positions with a shared mask token, adds fixed sin-cos position tables and
    decoder modality embeddings, runs ``depth`` blocks over the whole
    audio+visual sequence and predicts the pixels of every patch with one
    linear layer per modality. Parameter names (with the ``decoder_`` prefix
    dropped) match the released checkpoints one to one.

    Args:
        target_length (int): Fbank frames. Defaults to 1024.
        num_mel_bins (int): Fbank bins. Defaults to 128.
        frame_size (int): Image side. Defaults to 224.
        patch_size (int): Patch side. Defaults to 16. The four sizes make
            the decoder's :class:`InputGeometry` (``geometry``), the
            encoder's.
        in_channels (int): Image channels. Defaults to 3.
        embed_dim (int): Encoder width. Defaults to 768.
        decoder_embed_dim (int): Decoder width. Defaults to 512.
        depth (int): Decoder blocks. Defaults to 8.
        num_heads (int): Decoder heads. Defaults to 16.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        trainable_pos_embed (bool): Train the position tables. Defaults to
            False.
        fused_attn (bool): Fused attention kernel; False gives the plain
            math path. Defaults to True.
        with_cp (bool): Activation checkpointing of every block during
            training. Defaults to False.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 target_length: int = 1024,
                 num_mel_bins: int = 128,
                 frame_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 embed_dim: int = 768,
                 decoder_embed_dim: int = 512,
                 depth: int = 8,
                 num_heads: int = 16,
                 mlp_ratio: float = 4.0,
                 trainable_pos_embed: bool = False,
                 fused_attn: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.with_cp = with_cp
        self.decoder_embed_dim = decoder_embed_dim
        self.geometry = InputGeometry(target_length, num_mel_bins, frame_size,
                                      patch_size)
        add_pos_embed(self, decoder_embed_dim, trainable_pos_embed)

        self.embed = nn.Linear(embed_dim, decoder_embed_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.modality_a = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.modality_v = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.blocks = nn.ModuleList(
            TriNormBlock(
                decoder_embed_dim, num_heads, mlp_ratio, fused_attn=fused_attn)
            for _ in range(depth))
        for block in self.blocks:  # the decoder uses only the joint norms
            block.train_only_norm_sets(('joint', ))
        self.norm = nn.LayerNorm(decoder_embed_dim)
        self.pred_a = nn.Linear(decoder_embed_dim, patch_size**2)
        self.pred_v = nn.Linear(decoder_embed_dim, patch_size**2 * in_channels)

    def init_weights(self) -> None:
        """Fills the sin-cos tables and initialises as the reference does."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            return
        fill_pos_embed(self)
        with torch.no_grad():
            for token in (self.modality_a, self.modality_v, self.mask_token):
                nn.init.normal_(token, std=0.02)
        self.apply(init_linear_and_norm)

    def forward(self, latent: Tensor, ids_restore_a: Tensor,
                ids_restore_v: Tensor,
                num_kept_a: int) -> Tuple[Tensor, Tensor]:
        """Predicts the patches of both modalities.

        Args:
            latent (Tensor): Joint encoder output [B, ka + kv, D]: the kept
                audio tokens, then the kept visual tokens.
            ids_restore_a (Tensor): Audio restore indices [B, La].
            ids_restore_v (Tensor): Visual restore indices [B, Lv].
            num_kept_a (int): ka, the number of kept audio tokens (a shape,
                so no host-device synchronisation is needed).

        Returns:
            tuple[Tensor, Tensor]: Audio predictions [B, La, p*p] and visual
            predictions [B, Lv, p*p*C], in the original token order.
        """
        x = self.embed(latent)
        audio = _unshuffle(x[:, :num_kept_a], self.mask_token, ids_restore_a)
        visual = _unshuffle(x[:, num_kept_a:], self.mask_token, ids_restore_v)
        audio = audio + self.pos_embed_a + self.modality_a
        visual = visual + self.pos_embed_v + self.modality_v
        x = torch.cat([audio, visual], dim=1)
        x = self.norm(
            run_blocks(self.blocks, x, with_cp=self.with_cp and self.training))
        length_a = ids_restore_a.shape[1]
        return self.pred_a(x[:, :length_a]), self.pred_v(x[:, length_a:])
