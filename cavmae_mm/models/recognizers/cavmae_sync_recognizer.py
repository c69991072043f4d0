"""Finetuned CAV-MAE Sync: clips of frames and their aligned audio
segments, classified frame by frame or as a whole."""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

from cavmae_mm.registry import MODELS
from ..heads import CAVMAEFrameAttentionHead
from ..modality import paths_of
from .cavmae_recognizer import CAVMAERecognizer

#: The modalities that run without the global and register tokens (the
#: official missing-modality modes).
_WITHOUT_EXTRA_TOKENS = ('audio_without_visual', 'visual_without_audio')
#: A Sync model finetuned on one modality runs the shared blocks with the
#: joint LayerNorms and the joint final norm (CAV-MAE's uses the modality's
#: own).
_SINGLE_MODALITY_PATHS = {
    'audio': ('audio_joint', ),
    'visual': ('visual_joint', ),
}


def _flatten_frames(value: Optional[Tensor], dims: int) -> Optional[Tensor]:
    """[B, N, ...] -> [B * N, ...] when ``value`` has ``dims`` dimensions
    (a clip of N frames)."""
    if value is not None and value.dim() == dims:
        return value.flatten(0, 1)
    return value


@MODELS.register_module()
class CAVMAESyncRecognizer(CAVMAERecognizer):
    """Classifier on a :class:`CAVMAESyncEncoder`.

    A sample is a frame and the audio segment centred on it; a clip of N
    frames arrives as ``audios`` [B, N, T, F] and ``imgs`` [B, N, 3, H, W]
    and is classified

    - with :class:`CAVMAEFrameAttentionHead` (the official
      ``aggregate='self_attention_cls'``): as a whole, from the features of
      its N frames in order;
    - with :class:`CAVMAEClsHead` (the official ``aggregate='None'``):
      frame by frame, the clip's prediction being their average (the head's
      ``average_clips``); training then takes one frame per sample.

    The feature of one frame, by ``modality``:

    ========================  ==========================================
    modality                  feature of one frame
    ========================  ==========================================
    audio_visual, frame head  the audio and visual global tokens after the
                              modality-specific blocks, side by side
                              [2D] (the mean over tokens without global
                              tokens)
    audio_visual, per frame   the mean over tokens of the joint path (*)
    audio, visual             the modality's tokens through the shared
                              blocks with the joint norms (not the
                              modality norms, unlike CAV-MAE): the mean
                              over its tokens (global included) for the
                              frame head; its global token (else the
                              mean) per frame
    \\*_without_\\*             the average of the joint-norm and
                              modality-norm paths' means, without global
                              and register tokens (as the official code)
    ========================  ==========================================

    (*) The official multimodal path with ``aggregate='None'`` averages the
    [2D] vector of the two global tokens into one number per sample
    before its LayerNorm(D), and fails. Here it is what that code computes
    before overwriting it, and what CAV-MAE classifies: the mean over the
    joint path's tokens (patch tokens; the global tokens are not part of
    the joint path, as in Sync's pretraining).

    Args:
        backbone (dict): :class:`CAVMAESyncEncoder` config.
        cls_head (dict): :class:`CAVMAEFrameAttentionHead` or
            :class:`CAVMAEClsHead` config.
        **kwargs: :class:`CAVMAERecognizer` arguments (``modality``...).
    """

    @property
    def aggregates_frames(self) -> bool:
        """Whether the head classifies whole clips from their frames."""
        return isinstance(self.cls_head, CAVMAEFrameAttentionHead)

    @property
    def uses_extra_tokens(self) -> bool:
        """Whether the current modality runs with the global and register
        tokens (all but the official missing-modality modes)."""
        return self.modality not in _WITHOUT_EXTRA_TOKENS

    @property
    def paths(self) -> Tuple[str, ...]:
        """Encoder paths of the current modality and head."""
        if self.modality == 'audio_visual' and self.aggregates_frames:
            return ('audio_specific', 'visual_specific')
        return _SINGLE_MODALITY_PATHS.get(self.modality,
                                          paths_of(self.modality))

    def _check_head_width(self) -> None:
        """Raises when the head cannot read this modality's features: a
        frame head built for the two modalities' tokens side by side
        (2 D) given one modality (D), or the reverse."""
        width = self.backbone.embed_dim * (2 if self.modality == 'audio_visual'
                                           and self.aggregates_frames else 1)
        if self.cls_head.in_channels != width:
            raise ValueError(
                f'modality {self.modality!r} gives {width}-wide frame '
                f'features but the head ({type(self.cls_head).__name__}) '
                f'reads {self.cls_head.in_channels}: a frame head finetuned '
                'on both modalities takes both (a missing-modality test '
                'needs the per-frame CAVMAEClsHead), one finetuned on one '
                'modality takes that one')

    def _frame_feature(self, tokens: Tensor, leading_global: bool) -> Tensor:
        """One path's feature [N, D] of a frame (see the class table)."""
        if self.modality == 'audio_visual' and self.aggregates_frames:
            return tokens[:, 0] if leading_global else tokens.mean(dim=1)
        if self.modality in ('audio', 'visual') and leading_global and \
                not self.aggregates_frames:
            return tokens[:, 0]
        return tokens.mean(dim=1)

    def extract_feat(self,
                     inputs: Dict[str, Tensor],
                     stage: str = 'backbone',
                     data_samples=None,
                     test_mode: bool = False) -> Tuple[Tensor, dict]:
        """Frame features [B * N, C] of the current modality, from
        ``audios`` [B, (N,) T, F] and/or ``imgs`` [B, (N,) 3, H, W] (the
        other arguments as :meth:`CAVMAERecognizer.extract_feat`)."""
        self._check_head_width()
        audios = _flatten_frames(inputs.get('audios'), 4)
        imgs = _flatten_frames(inputs.get('imgs'), 5)
        out = self.backbone(
            audios,
            imgs,
            paths=self.paths,
            extra_tokens=self.uses_extra_tokens)
        feats = [
            self._frame_feature(out.paths[p], out.leading_global)
            for p in self.paths
        ]
        if self.modality == 'audio_visual' and self.aggregates_frames:
            return torch.cat(feats, dim=-1), dict()
        return sum(feats) / len(feats), dict()
