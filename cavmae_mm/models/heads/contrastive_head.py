"""Audio-visual contrastive (InfoNCE) loss of CAV-MAE."""
from typing import Dict

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor
from torch.distributed.nn.functional import all_gather

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

    With ``gather_negatives=True`` under distributed training, the pooled
    features of every rank are gathered (with gradients,
    ``torch.distributed.nn.functional.all_gather``) and each local video
    (audio) picks its partner among the audios (videos) of the global batch:
    the loss of the whole global batch, as one process with all the samples
    would compute it, split over the ranks. Off by default, as in the
    official recipe, where each GPU's batch is its own set of negatives.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.05.
        bidirectional (bool): Use both directions. Defaults to False.
        loss_weight (float): Multiplies the loss; 0 switches the branch off.
            Defaults to 0.01.
        gather_negatives (bool): Negatives from all ranks. Defaults to
            False.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 bidirectional: bool = False,
                 loss_weight: float = 0.01,
                 gather_negatives: bool = False) -> None:
        super().__init__()
        self.gather_negatives = gather_negatives
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.bidirectional = bidirectional
        self.loss_weight = loss_weight

    @staticmethod
    def pool(tokens: Tensor) -> Tensor:
        """Mean-pooled, L2-normalised features [B, D]."""
        return F.normalize(tokens.mean(dim=1), dim=-1)

    def similarity(self, audio_tokens: Tensor,
                   visual_tokens: Tensor) -> Tensor:
        """Scaled cosine similarity [B_a, B_v] of mean-pooled features."""
        return self.pool(audio_tokens) @ self.pool(visual_tokens).t() / \
            self.temperature

    @staticmethod
    def _one_direction(sim: Tensor, offset: int = 0):
        """Loss and accuracy when each column j picks row ``offset + j``
        among all rows (softmax over dim 0)."""
        targets = torch.arange(sim.shape[1], device=sim.device) + offset
        log_probs = F.log_softmax(sim, dim=0)
        loss = -log_probs.gather(0, targets[None]).mean()
        acc = (sim.argmax(dim=0) == targets).float().mean()
        return loss, acc

    def loss(self, audio_tokens: Tensor,
             visual_tokens: Tensor) -> Dict[str, Tensor]:
        """Weighted contrastive loss ``loss_c`` and accuracy ``acc_c``.

        Args:
            audio_tokens (Tensor): Audio path features [B, Na, D].
            visual_tokens (Tensor): Visual path features [B, Nv, D].
        """
        audio, visual = self.pool(audio_tokens), self.pool(visual_tokens)
        all_audio, all_visual, offset = audio, visual, 0
        if self.gather_negatives and dist.is_available() and \
                dist.is_initialized() and dist.get_world_size() > 1:
            all_audio = torch.cat(all_gather(audio), dim=0)
            all_visual = torch.cat(all_gather(visual), dim=0)
            offset = dist.get_rank() * audio.shape[0]
        # local videos pick among all audios (the reference's direction)
        loss, acc = self._one_direction(
            all_audio @ visual.t() / self.temperature, offset)
        if self.bidirectional:
            loss_t, acc_t = self._one_direction(
                all_visual @ audio.t() / self.temperature, offset)
            loss, acc = (loss + loss_t) / 2, (acc + acc_t) / 2
        return dict(loss_c=self.loss_weight * loss, acc_c=acc.detach())
