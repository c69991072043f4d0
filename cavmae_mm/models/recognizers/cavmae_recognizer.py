"""Finetuned CAV-MAE: audio-visual, audio-only or visual-only classifier."""
import copy
from typing import Dict, Optional, Tuple

from mmaction.models.recognizers import BaseRecognizer
from torch import Tensor

from cavmae_mm.checkpoint import PretrainedInitMixin
from cavmae_mm.registry import MODELS
from ..builder import build_data_preprocessor, resolve_type
from ..modality import inputs_of, modality_name, paths_of


@MODELS.register_module()
class CAVMAERecognizer(PretrainedInitMixin, BaseRecognizer):
    """Audio-visual event classifier on the CAV-MAE encoder.

    The feature is the mean over tokens of the encoder path(s) chosen by
    ``modality`` (see :mod:`cavmae_mm.models.modality`); the head is
    LayerNorm + Linear. At test time images may carry several frames per
    clip, [B, N, 3, H, W]: the clip's audio is paired with each frame in one
    batch and the head combines the N predictions (``average_clips``).

    Args:
        backbone (dict): :class:`CAVMAEEncoder` config.
        cls_head (dict): :class:`CAVMAEClsHead` config.
        modality (str): One of ``MODALITY_PATHS`` ('audio_visual',
            'audio', 'visual', 'audio_without_visual',
            'visual_without_audio') or its official name ('multimodal',
            'audioonly', 'videoonly', 'missingaudioonly',
            'missingvideoonly'). Defaults to 'audio_visual'. Set it from the
            config (e.g. ``--cfg-options
            model.modality=audio_without_visual``) to test another
            modality.
        freeze_backbone (bool): Linear probing: only the head trains (the
            reference's ``freeze_base``). Defaults to False.
        train_cfg (dict, optional): Unused; MMAction2 interface.
        test_cfg (dict, optional): Unused; MMAction2 interface.
        data_preprocessor (dict, optional): Defaults to
            ``AVDataPreprocessor``.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=...)`` starts finetuning from a pretrained (or
            finetuned) checkpoint, official or this package's (see
            :mod:`cavmae_mm.checkpoint.pretrained_init`).
    """

    def __init__(self,
                 backbone: dict,
                 cls_head: dict,
                 modality: str = 'audio_visual',
                 freeze_backbone: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        paths_of(modality)  # validates before anything is built
        super().__init__(
            backbone=resolve_type(backbone),
            cls_head=resolve_type(cls_head),
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=build_data_preprocessor(data_preprocessor))
        self.init_cfg = copy.deepcopy(init_cfg)
        self.freeze_backbone = freeze_backbone
        self.modality = modality
        self.train_modality_paths()

    @property
    def modality(self) -> str:
        """Which encoder paths classify (see :mod:`cavmae_mm.models.modality`;
        an official name is stored as its alias).

        Setting it (e.g. to test a model finetuned on both modalities with
        one) changes only the forward pass; which parameters train is set
        by :meth:`train_modality_paths`.
        """
        return self._modality

    @modality.setter
    def modality(self, value: str) -> None:
        self._modality = modality_name(value)

    def train_modality_paths(self) -> None:
        """Makes trainable exactly the backbone parameters the current
        modality's paths use (with ``freeze_backbone``: none), so that
        DistributedDataParallel needs no ``find_unused_parameters``; the
        head always trains. Called at construction; call it again after
        changing :attr:`modality` for training."""
        if self.freeze_backbone:
            self.backbone.requires_grad_(False)
        else:
            self.backbone.train_only_paths(self.paths)

    @property
    def paths(self) -> Tuple[str, ...]:
        """Encoder paths of the current modality."""
        return paths_of(self.modality)

    def extract_feat(self,
                     inputs: Dict[str, Tensor],
                     stage: str = 'backbone',
                     data_samples=None,
                     test_mode: bool = False) -> Tuple[Tensor, dict]:
        """Pooled feature [B * num_frames, D] of the current modality.

        Args:
            inputs (dict): ``audios`` [B, T, F] and/or ``imgs`` [B, 3, H, W]
                or [B, N, 3, H, W] (N frames of each clip).
            stage (str): Unused; MMAction2 interface.
            data_samples (list, optional): Unused.
            test_mode (bool): Unused.

        Returns:
            tuple: The features and an empty kwargs dict for the head.
        """
        modalities = inputs_of(self.paths)
        audios = inputs.get('audios') if 'audio' in modalities else None
        imgs = inputs.get('imgs') if 'visual' in modalities else None
        repeats = 1
        if imgs is not None and imgs.dim() == 5:
            # each clip's audio pairs with each of its frames; the audio
            # branch runs once per clip (see CAVMAEEncoder's audio_repeats)
            repeats = imgs.shape[1]
            imgs = imgs.flatten(0, 1)
        out = self.backbone(
            audios,
            imgs,
            paths=self.paths,
            audio_repeats=repeats if audios is not None else 1)
        pooled = [out.paths[p].mean(dim=1) for p in self.paths]
        feats = pooled[0] if len(pooled) == 1 else sum(pooled) / len(pooled)
        return feats, dict()

    def _forward(self,
                 inputs: Dict[str, Tensor],
                 stage: str = 'backbone',
                 **kwargs) -> Tensor:
        """Logits [B * num_frames, num_classes] of the current modality."""
        feats, _ = self.extract_feat(inputs)
        return self.cls_head(feats)
