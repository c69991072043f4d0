"""Audio-visual contrastive (InfoNCE) loss of CAV-MAE and CAV-MAE Sync."""
from typing import Dict, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor
from torch.distributed.nn.functional import all_gather

from cavmae_mm.registry import MODELS

#: How the contrastive head turns a path's tokens into one feature per
#: sample: the mean over tokens (CAV-MAE), the leading global token
#: (CAV-MAE Sync), or both, each with its own loss, averaged (Sync's
#: ``global_local_losses``).
POOLINGS = ('mean', 'global', 'global_local')


@MODELS.register_module()
class CAVMAEContrastiveHead(BaseModule):
    """InfoNCE between pooled audio and visual token features.

    The pooled features are L2-normalised and compared by
    ``sim = a @ v.T / temperature``. The default single direction is the
    reference's: ``-mean(diag(log_softmax(sim, dim=0)))``, i.e. each video
    picks its audio among the batch. ``bidirectional=True`` averages it with
    the other direction (each audio picks its video). ``acc_c`` is the share
    of correct picks (averaged over directions when bidirectional).

    ``pooling`` (see :data:`POOLINGS`): 'mean' pools the mean over tokens
    (CAV-MAE); 'global' takes the leading global token of a
    :class:`~cavmae_mm.models.backbones.CAVMAESyncEncoder`; 'global_local'
    averages the loss (and accuracy) of the global tokens with that of the
    mean over the other tokens, and also reports the two weighted losses,
    detached, as ``nce_global`` and ``nce_local``.

    Clips (CAV-MAE Sync's evaluation mode): when ``loss`` is given
    ``frames_per_video`` N, the B*N rows are B videos of N consecutive
    frame-segment pairs and every pair of one video is a positive. Each
    audio row then picks among all visual rows (softmax over dim 1);
    ``acc_c`` is the share of audio rows whose best match lies in their own
    video, and the loss is ``-mean(logsumexp(sim * same_video, 1) -
    logsumexp(sim, 1))``, the official code's ``mode='eval'``, in which the
    other videos' entries enter the positive term as zero logits.
    ``bidirectional`` and ``gather_negatives`` do not apply (each rank's
    clips are their own set, as in the official code).

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
        pooling (str): One of :data:`POOLINGS`. Defaults to 'mean'.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 bidirectional: bool = False,
                 loss_weight: float = 0.01,
                 gather_negatives: bool = False,
                 pooling: str = 'mean') -> None:
        super().__init__()
        self.gather_negatives = gather_negatives
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got '
                             f'{pooling!r}')
        self.temperature = temperature
        self.bidirectional = bidirectional
        self.loss_weight = loss_weight
        self.pooling = pooling

    @property
    def needs_global_token(self) -> bool:
        """Whether the pooling reads a leading global token."""
        return self.pooling != 'mean'

    def pooled(self, tokens: Tensor) -> Dict[str, Tensor]:
        """The features [B, D] the loss compares, before normalisation:
        ``mean``, or ``global`` (and ``local``, the mean of the other
        tokens)."""
        if self.pooling == 'mean':
            return dict(mean=tokens.mean(dim=1))
        pooled = {'global': tokens[:, 0]}
        if self.pooling == 'global_local':
            pooled['local'] = tokens[:, 1:].mean(dim=1)
        return pooled

    def retrieval_feature(self, tokens: Tensor) -> Tensor:
        """The feature [B, D] that retrieval compares: the global token, or
        the mean over tokens (the first of :meth:`pooled`)."""
        return next(iter(self.pooled(tokens).values()))

    @staticmethod
    def _one_direction(sim: Tensor, offset: int = 0):
        """Loss and accuracy when each column j picks row ``offset + j``
        among all rows (softmax over dim 0)."""
        targets = torch.arange(sim.shape[1], device=sim.device) + offset
        log_probs = F.log_softmax(sim, dim=0)
        loss = -log_probs.gather(0, targets[None]).mean()
        acc = (sim.argmax(dim=0) == targets).float().mean()
        return loss, acc

    def contrast(self, audio: Tensor, visual: Tensor) -> Tuple[Tensor, Tensor]:
        """Unweighted InfoNCE and accuracy of pooled features [B, D]."""
        audio, visual = F.normalize(audio, dim=-1), F.normalize(visual, dim=-1)
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
        return loss, acc

    def contrast_videos(self, audio: Tensor, visual: Tensor,
                        frames_per_video: int) -> Tuple[Tensor, Tensor]:
        """Unweighted loss and accuracy of pooled features [B*N, D] of
        B videos of ``frames_per_video`` N pairs each (see the class
        docstring: every pair of one video is a positive)."""
        rows = audio.shape[0]
        if frames_per_video < 1 or rows % frames_per_video:
            raise ValueError(f'{rows} pooled features are not whole videos '
                             f'of {frames_per_video} frames')
        audio, visual = F.normalize(audio, dim=-1), F.normalize(visual, dim=-1)
        sim = audio @ visual.t() / self.temperature
        video = torch.arange(rows, device=sim.device) // frames_per_video
        same_video = video[:, None] == video[None]
        acc = (video[sim.argmax(dim=1)] == video).float().mean()
        positives = torch.logsumexp(sim.masked_fill(~same_video, 0.), dim=1)
        loss = (torch.logsumexp(sim, dim=1) - positives).mean()
        return loss, acc

    def loss(self,
             audio_tokens: Tensor,
             visual_tokens: Tensor,
             frames_per_video: Optional[int] = None) -> Dict[str, Tensor]:
        """Weighted contrastive loss ``loss_c`` and accuracy ``acc_c``.

        Args:
            audio_tokens (Tensor): Audio path features [B, Na, D].
            visual_tokens (Tensor): Visual path features [B, Nv, D].
            frames_per_video (int, optional): The rows are whole videos of
                this many consecutive frame-segment pairs, each pair of a
                video a positive (CAV-MAE Sync's evaluation mode). Defaults
                to None: the pairs of the same row are the positives.
        """
        audio, visual = self.pooled(audio_tokens), self.pooled(visual_tokens)
        if frames_per_video is None:
            terms = {
                name: self.contrast(audio[name], visual[name])
                for name in audio
            }
        else:
            terms = {
                name:
                self.contrast_videos(audio[name], visual[name],
                                     frames_per_video)
                for name in audio
            }
        loss = sum(t[0] for t in terms.values()) / len(terms)
        acc = sum(t[1] for t in terms.values()) / len(terms)
        out = dict(loss_c=self.loss_weight * loss, acc_c=acc.detach())
        if len(terms) > 1:
            for name, (term, _) in terms.items():
                out[f'nce_{name}'] = (self.loss_weight * term).detach()
        return out
