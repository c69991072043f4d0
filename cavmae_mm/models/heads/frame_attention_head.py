"""CAV-MAE Sync's classifier over the frames of a clip: a class token
attends to the per-frame features through two transformer blocks."""
from typing import Optional

import torch
from torch import Tensor, nn

from cavmae_mm.registry import MODELS
from ..layers import TriNormBlock, run_blocks
from .cls_head import CAVMAEClsHead


@MODELS.register_module()
class CAVMAEFrameAttentionHead(CAVMAEClsHead):
    """Classifies a clip from the features of its ``num_frames`` frames.

    The [B * num_frames, in_channels] features (consecutive rows are the
    frames of one clip, in time order) become [B, num_frames, in_channels];
    a learned class token is put in front, ``depth`` transformer blocks
    run (no position embedding), and the class token goes through
    LayerNorm + Linear. This is the official CAV-MAE Sync finetuning's
    ``aggregate='self_attention_cls'`` (official names: ``cls_cls_token``
    = ``cls_token``, ``classifier_layers`` = ``blocks``,
    ``classifier_norm`` = ``norm``, ``classifier_head`` = ``fc``). It returns
    one prediction per clip.

    Args:
        num_classes (int): Classes.
        in_channels (int): Feature width: 2 * 768 for audio-visual (the two
            global tokens side by side), 768 for one modality.
        num_frames (int): Frames per clip. Defaults to 16.
        depth (int): Transformer blocks. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 12.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        fused_attn (bool): Fused attention kernel. Defaults to True.
        loss_cls (dict, optional): MMAction2 loss config. Defaults to
            ``BCELossWithLogits``.
        average_clips (str, optional): See :class:`CAVMAEClsHead` (one
            prediction per clip: only the activation applies).
        **kwargs: Other :class:`CAVMAEClsHead` arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 1536,
                 num_frames: int = 16,
                 depth: int = 2,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 fused_attn: bool = True,
                 loss_cls: Optional[dict] = None,
                 average_clips: Optional[str] = 'score',
                 **kwargs) -> None:
        super().__init__(
            num_classes,
            in_channels,
            loss_cls=loss_cls,
            average_clips=average_clips,
            **kwargs)
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.cls_token = nn.Parameter(torch.zeros(1, 1, in_channels))
        self.blocks = nn.ModuleList(
            TriNormBlock(
                in_channels,
                num_heads,
                mlp_ratio,
                qkv_bias=True,
                fused_attn=fused_attn) for _ in range(depth))

    def init_weights(self) -> None:
        """The official initialisation: class token N(0, 0.02), Xavier
        Linear, unit LayerNorm."""
        super().init_weights()
        with torch.no_grad():
            nn.init.normal_(self.cls_token, std=0.02)

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        """Logits [B, num_classes] of frame features
        [B * num_frames, in_channels]."""
        if x.dim() != 2 or x.shape[0] % self.num_frames:
            raise ValueError(f'expected [B * {self.num_frames}, C] frame '
                             f'features, got {tuple(x.shape)}')
        frames = x.unflatten(0, (-1, self.num_frames))
        tokens = torch.cat(
            [self.cls_token.to(x.dtype).expand(len(frames), -1, -1), frames],
            dim=1)
        tokens = run_blocks(self.blocks, tokens)
        return self.fc(self.norm(tokens[:, 0]))
