"""Audio-visual contrastive (InfoNCE) loss of CAV-MAE."""
from typing import Dict

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from cavmae_mm.registry import MODELS


@MODELS.register_module()
class CAVMAEContrastiveHead(BaseModule):
    """InfoNCE between mean-pooled audio and visual token features.

    The pooled features are L2-normalised and compared by
    ``sim = a @ v.T / temperature``. The default single direction is the
    reference's: ``-mean(diag(log_softmax(sim, dim=0)))``, i.e. each video
    picks its audio among the batch. ``bidirectional=True`` averages it with
    the other direction (each audio picks its video). ``acc_c`` is the share
    of correct picks (averaged over directions when bidirectional).

    Args:
        temperature (float): Softmax temperature. Defaults to 0.05.
        bidirectional (bool): Use both directions. Defaults to False.
        loss_weight (float): Multiplies the loss; 0 switches the branch off.
            Defaults to 0.01.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 bidirectional: bool = False,
                 loss_weight: float = 0.01) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.bidirectional = bidirectional
        self.loss_weight = loss_weight

    def similarity(self, audio_tokens: Tensor,
                   visual_tokens: Tensor) -> Tensor:
        """Scaled cosine similarity [B_a, B_v] of mean-pooled features."""
        audio = F.normalize(audio_tokens.mean(dim=1), dim=-1)
        visual = F.normalize(visual_tokens.mean(dim=1), dim=-1)
        return audio @ visual.t() / self.temperature

    @staticmethod
    def _one_direction(sim: Tensor):
        """Loss and accuracy when each column picks its row (dim 0)."""
        targets = torch.arange(sim.shape[1], device=sim.device)
        loss = -torch.diagonal(F.log_softmax(sim, dim=0)).mean()
        acc = (sim.argmax(dim=0) == targets).float().mean()
        return loss, acc

    def loss(self, audio_tokens: Tensor,
             visual_tokens: Tensor) -> Dict[str, Tensor]:
        """Weighted contrastive loss ``loss_c`` and accuracy ``acc_c``.

        Args:
            audio_tokens (Tensor): Audio path features [B, Na, D].
            visual_tokens (Tensor): Visual path features [B, Nv, D].
        """
        sim = self.similarity(audio_tokens, visual_tokens)
        loss, acc = self._one_direction(sim)
        if self.bidirectional:
            loss_t, acc_t = self._one_direction(sim.t())
            loss, acc = (loss + loss_t) / 2, (acc + acc_t) / 2
        return dict(loss_c=self.loss_weight * loss, acc_c=acc.detach())
