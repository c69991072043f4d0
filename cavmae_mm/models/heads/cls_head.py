"""Classification head of finetuned CAV-MAE: LayerNorm + Linear."""
from typing import Optional

import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from torch import Tensor, nn

from cavmae_mm.registry import MODELS
from ..layers import init_linear_and_norm


@MODELS.register_module()
class CAVMAEClsHead(BaseHead):
    """``LayerNorm(in_channels) -> Linear(in_channels, num_classes)``.

    The official ``mlp_head.0`` / ``mlp_head.1`` are ``norm`` / ``fc`` here.
    It takes the mean-pooled token feature [B, D] (or [B * num_segs, D] when
    several frames of a clip are tested at once) and returns logits. Losses
    come from MMAction2's ``loss_cls`` (``BCELossWithLogits`` for multi-label
    soft targets, ``CrossEntropyLoss`` with soft or hard labels).

    Args:
        num_classes (int): Classes.
        in_channels (int): Feature width. Defaults to 768.
        loss_cls (dict, optional): MMAction2 loss config. Defaults to
            ``BCELossWithLogits``.
        average_clips (str, optional): How predictions of the frames of one
            clip are combined at test time: ``'sigmoid'`` (mean of sigmoids,
            multi-label), ``'prob'`` (mean of softmaxes), ``'score'`` (mean of
            logits) or None (one frame per clip only). Defaults to 'score'.
        **kwargs: Other :class:`mmaction.models.heads.BaseHead` arguments.
    """

    AVERAGE_CLIPS = ('sigmoid', 'prob', 'score', None)

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 768,
                 loss_cls: Optional[dict] = None,
                 average_clips: Optional[str] = 'score',
                 **kwargs) -> None:
        if average_clips not in self.AVERAGE_CLIPS:
            raise ValueError(f'average_clips must be one of '
                             f'{self.AVERAGE_CLIPS}, got {average_clips!r}')
        if loss_cls is None:
            loss_cls = dict(type='BCELossWithLogits')
        super().__init__(
            num_classes,
            in_channels,
            loss_cls=loss_cls,
            average_clips=average_clips,
            **kwargs)
        self.norm = nn.LayerNorm(in_channels)
        self.fc = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        """Xavier-uniform Linear and unit LayerNorm, as the reference."""
        super().init_weights()
        self.apply(init_linear_and_norm)

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        """Logits [N, num_classes] of pooled features [N, in_channels]."""
        return self.fc(self.norm(x))

    def average_clip(self, cls_scores: Tensor, num_segs: int = 1) -> Tensor:
        """Combines the predictions of the ``num_segs`` frames of each clip.

        Args:
            cls_scores (Tensor): [B * num_segs, num_classes] logits.
            num_segs (int): Frames per clip.

        Returns:
            Tensor: [B, num_classes].
        """
        scores = cls_scores.view(-1, num_segs, cls_scores.shape[-1])
        if self.average_clips == 'sigmoid':
            return scores.sigmoid().mean(dim=1)
        if self.average_clips == 'prob':
            return F.softmax(scores, dim=2).mean(dim=1)
        if self.average_clips == 'score':
            return scores.mean(dim=1)
        if num_segs != 1:
            raise ValueError('average_clips=None cannot combine '
                             f'{num_segs} frames per clip')
        return scores[:, 0]
