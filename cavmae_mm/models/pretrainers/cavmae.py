"""The CAV-MAE pretraining model: masked reconstruction + contrastive."""
import logging
from typing import Dict, List, Optional, Tuple

import torch
from mmaction.structures import ActionDataSample
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from torch import Tensor

from cavmae_mm.checkpoint import PretrainedInitMixin
from cavmae_mm.registry import MODELS
from ..builder import build_data_preprocessor


@MODELS.register_module()
class CAVMAE(PretrainedInitMixin, BaseModel):
    """Contrastive Audio-Visual Masked Autoencoder (pretraining).

    Both modalities are masked independently; the kept tokens go through the
    encoder's joint path (to the decoder ``neck`` and the
    ``reconstruction_head``) and through its audio and visual paths (to the
    ``contrastive_head``). A head whose ``loss_weight`` is 0 is skipped with
    the computation only it needs.

    CAV-MAE Sync's pretraining is this model with a
    :class:`CAVMAESyncEncoder` backbone and ``pooling='global'`` (or
    ``'global_local'``) in the contrastive head (see docs/sync.md); its
    inputs are frames and the audio segments centred on them.

    Args:
        backbone (dict): :class:`CAVMAEEncoder` (or
            :class:`CAVMAESyncEncoder`) config.
        neck (dict): :class:`CAVMAEDecoder` config.
        reconstruction_head (dict): :class:`CAVMAEReconstructionHead`
            config.
        contrastive_head (dict): :class:`CAVMAEContrastiveHead` config.
        mask_ratio_a (float): Audio masking ratio. Defaults to 0.75.
        mask_ratio_v (float): Visual masking ratio. Defaults to 0.75.
        audio_mask_mode (str): 'unstructured' (default), or the ablations
            'time', 'freq', 'tf'.
        mask_ratio_range (tuple[float, float], optional): Draw the audio
            and the visual ratio of each training step uniformly in
            [low, high) instead (CAV-MAE Sync's ``multi_ratio_masking``:
            (0.6, 0.9)); see :meth:`step_mask_ratios`. Evaluation uses
            ``mask_ratio_a`` / ``mask_ratio_v``. Defaults to None.
        mask_ratio_seed (int): Seed of those draws. Defaults to 0.
        data_preprocessor (dict, optional): Defaults to
            ``AVDataPreprocessor``.
        init_cfg (dict, optional): MMEngine initialisation config; a
            ``Pretrained`` one loads its whole checkpoint (official or this
            package's) after initialisation, see
            :mod:`cavmae_mm.checkpoint.pretrained_init`.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 reconstruction_head: dict,
                 contrastive_head: dict,
                 mask_ratio_a: float = 0.75,
                 mask_ratio_v: float = 0.75,
                 audio_mask_mode: str = 'unstructured',
                 mask_ratio_range: Optional[Tuple[float, float]] = None,
                 mask_ratio_seed: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.reconstruction_head = MODELS.build(reconstruction_head)
        self.contrastive_head = MODELS.build(contrastive_head)
        self.mask_ratio_a = mask_ratio_a
        self.mask_ratio_v = mask_ratio_v
        self.audio_mask_mode = audio_mask_mode
        if mask_ratio_range is not None:
            low, high = mask_ratio_range
            if not 0 < low <= high < 1:
                raise ValueError('mask_ratio_range must be (low, high) with '
                                 f'0 < low <= high < 1, got '
                                 f'{mask_ratio_range}')
            mask_ratio_range = (float(low), float(high))
        self.mask_ratio_range = mask_ratio_range
        self.mask_ratio_seed = mask_ratio_seed
        self._steps_without_runner = 0
        if not (self.with_reconstruction or self.with_contrastive):
            raise ValueError('both loss weights are 0: nothing to train')
        has_global = getattr(self.backbone, 'global_tokens', False)
        if self.contrastive_head.needs_global_token != has_global:
            raise ValueError(
                f'contrastive_head pooling '
                f'{self.contrastive_head.pooling!r} and the backbone\'s '
                f'global tokens ({has_global}) do not fit: global pooling '
                'needs a backbone with global_tokens=True (CAV-MAE Sync), '
                "which in turn needs 'global' or 'global_local' pooling")
        self.backbone.train_only_paths(self.loss_paths)
        shared = len(self.backbone.blocks_u)
        if shared > 1 and self.with_contrastive:
            print_log(
                f'{shared} shared blocks: the contrastive paths chain them '
                'here, where the official pretraining code runs each one on '
                'the modality-specific output (the same only with one '
                'shared block, as in every released model)',
                logger='current',
                level=logging.WARNING)
        if not self.with_reconstruction:
            self.neck.requires_grad_(False)  # the decoder is not run
        if self.with_reconstruction and min(mask_ratio_a, mask_ratio_v) <= 0:
            raise ValueError('the reconstruction loss needs mask ratios > 0, '
                             f'got audio {mask_ratio_a}, visual '
                             f'{mask_ratio_v}')

    @property
    def loss_paths(self) -> Tuple[str, ...]:
        """Encoder paths the losses use."""
        return (('joint', ) if self.with_reconstruction else ()) + \
            (('audio', 'visual') if self.with_contrastive else ())

    @property
    def with_reconstruction(self) -> bool:
        """Whether the MAE branch (decoder and reconstruction loss) runs."""
        return self.reconstruction_head.loss_weight != 0

    @property
    def with_contrastive(self) -> bool:
        """Whether the contrastive branch runs."""
        return self.contrastive_head.loss_weight != 0

    def forward(self,
                inputs: Dict[str, Tensor],
                data_samples: Optional[List[ActionDataSample]] = None,
                mode: str = 'tensor',
                noise: Optional[Dict[str, Tensor]] = None):
        """The one entry point: ``mode`` is 'tensor', 'loss' or 'predict'.

        Args:
            inputs (dict): ``audios`` fbank [B, T, F] and ``imgs``
                [B, 3, H, W], normalised floats.
            data_samples (list[ActionDataSample], optional): Per-sample data.
            mode (str): 'tensor' returns the unmasked audio and visual path
                token features (audio [B, La, D], visual [B, Lv, D]);
                'loss' returns the loss dict; 'predict' returns data samples
                holding the pooled ``audio_feature`` and ``visual_feature``.
            noise (dict, optional): Masking sort keys ``audios`` [B, La] and
                ``imgs`` [B, Lv] for reproducible masks ('loss' only).
        """
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples, noise=noise)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    def extract_feat(self, inputs: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """Unmasked audio-path and visual-path token features."""
        out = self.backbone(
            inputs['audios'], inputs['imgs'], paths=('audio', 'visual'))
        return out.paths['audio'], out.paths['visual']

    def step_mask_ratios(self) -> Tuple[float, float]:
        """The audio and visual masking ratios of this step.

        Fixed, unless ``mask_ratio_range`` is set and the model trains:
        then two uniform draws in the range from a CPU generator seeded
        with ``mask_ratio_seed`` and the runner's iteration (MMEngine's
        message hub ``iter``; outside a runner, a count of the calls). So
        every rank draws the same ratios without communicating, and a
        resumed run the same ones as an uninterrupted run. (The official
        code seeds its generator with 0 at every call outside distributed
        training, which gives the same pair of ratios every step, and
        broadcasts a seed from rank 0 inside it.)
        """
        if self.mask_ratio_range is None or not self.training:
            return self.mask_ratio_a, self.mask_ratio_v
        step = MessageHub.get_current_instance().get_info('iter')
        if step is None:
            step = self._steps_without_runner
            self._steps_without_runner += 1
        gen = torch.Generator().manual_seed(self.mask_ratio_seed * 1_000_003 +
                                            int(step))
        low, high = self.mask_ratio_range
        audio, visual = (low +
                         (high - low) * torch.rand(2, generator=gen)).tolist()
        return audio, visual

    def _encode_masked(self,
                       inputs: Dict[str, Tensor],
                       paths: Tuple[str, ...],
                       noise: Optional[Dict[str, Tensor]] = None):
        noise = noise or {}
        ratio_a, ratio_v = self.step_mask_ratios()
        return self.backbone(
            inputs['audios'],
            inputs['imgs'],
            paths=paths,
            mask_ratio_a=ratio_a,
            mask_ratio_v=ratio_v,
            audio_mask_mode=self.audio_mask_mode,
            noise_a=noise.get('audios'),
            noise_v=noise.get('imgs'))

    def _decode(self, encoded) -> Tuple[Tensor, Tensor]:
        return self.neck(encoded.paths['joint'],
                         encoded.audio_masking.ids_restore,
                         encoded.visual_masking.ids_restore,
                         encoded.audio_masking.kept.shape[1])

    def loss(self,
             inputs: Dict[str, Tensor],
             data_samples: Optional[List[ActionDataSample]] = None,
             noise: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
        """Losses of one batch.

        Args:
            inputs (dict): ``audios`` and ``imgs`` as pairs, or as clips of
                N frames and their audio segments (see
                :meth:`flatten_clips`). Clips are CAV-MAE Sync's evaluation
                mode: every pair is masked and reconstructed as one sample,
                and the contrastive loss counts every pair of a clip as a
                positive (``frames_per_video`` of
                :meth:`CAVMAEContrastiveHead.loss`).
            data_samples (list, optional): Not used.
            noise (dict, optional): Masking noise ``audios`` / ``imgs``,
                [B, L] (or [B*N, L] for clips), instead of fresh draws.

        Returns:
            dict: ``loss_mae_a``, ``loss_mae_v`` (reconstruction, weighted)
            when that branch is on; ``loss_c`` (weighted) and ``acc_c`` when
            the contrastive branch is on. The ``loss*`` entries sum to the
            reference's total loss.
        """
        (audios, imgs), frames = self.flatten_clips(inputs)
        inputs = dict(audios=audios, imgs=imgs)
        encoded = self._encode_masked(inputs, self.loss_paths, noise)
        losses: Dict[str, Tensor] = {}
        if self.with_reconstruction:
            pred_a, pred_v = self._decode(encoded)
            losses.update(
                self.reconstruction_head.loss(pred_a, pred_v, inputs['audios'],
                                              inputs['imgs'],
                                              encoded.audio_masking.mask,
                                              encoded.visual_masking.mask))
        if self.with_contrastive:
            losses.update(
                self.contrastive_head.loss(
                    encoded.paths['audio'],
                    encoded.paths['visual'],
                    frames_per_video=frames))
        return losses

    def reconstruct(
            self,
            inputs: Dict[str, Tensor],
            noise: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
        """Masks, encodes and decodes a batch (for inpainting).

        Returns:
            dict: ``pred_a`` [B, La, p*p], ``pred_v`` [B, Lv, p*p*3] (in the
            target space: normalised patches when the head uses norm_pix),
            ``mask_a`` [B, La] and ``mask_v`` [B, Lv] (1 = masked).
        """
        encoded = self._encode_masked(inputs, ('joint', ), noise)
        pred_a, pred_v = self._decode(encoded)
        return dict(
            pred_a=pred_a,
            pred_v=pred_v,
            mask_a=encoded.audio_masking.mask,
            mask_v=encoded.visual_masking.mask)

    @staticmethod
    def flatten_clips(
        inputs: Dict[str,
                     Tensor]) -> Tuple[Tuple[Tensor, Tensor], Optional[int]]:
        """The audio and images of a batch as pairs, and the frames per
        clip.

        Args:
            inputs (dict): ``audios`` [B, T, F] and ``imgs`` [B, 3, H, W];
                or clips of N frames with their aligned audio segments
                (CAV-MAE Sync): ``audios`` [B, N, T, F] and ``imgs``
                [B, N, 3, H, W].

        Returns:
            tuple: ``(audios, imgs)`` with clips flattened to B*N pairs
            (clip by clip, frames in order), and N (None for pairs).
        """
        audios, imgs = inputs['audios'], inputs['imgs']
        frames = imgs.shape[1] if imgs.dim() == 5 else None
        if (audios.dim() == 4) != (frames is not None) or (
                frames is not None and audios.shape[:2] != imgs.shape[:2]):
            raise ValueError('audio segments [B, N, T, F] go with frames '
                             f'[B, N, 3, H, W]; got audio '
                             f'{tuple(audios.shape)}, images '
                             f'{tuple(imgs.shape)}')
        if frames is not None:
            audios, imgs = audios.flatten(0, 1), imgs.flatten(0, 1)
        return (audios, imgs), frames

    def retrieval_features(self,
                           inputs: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """The audio and visual features retrieval compares (see
        :meth:`CAVMAEContrastiveHead.retrieval_feature`: mean-pooled for
        CAV-MAE, the global tokens for CAV-MAE Sync).

        Args:
            inputs (dict): ``audios`` [B, T, F] and ``imgs`` [B, 3, H, W];
                or, for CAV-MAE Sync's clips of N frames and their aligned
                audio segments, ``audios`` [B, N, T, F] and ``imgs``
                [B, N, 3, H, W].

        Returns:
            tuple: Audio and visual features, [B, D] or [B, N, D].
        """
        (audios, imgs), frames = self.flatten_clips(inputs)
        out = self.backbone(audios, imgs, paths=('audio', 'visual'))
        audio = self.contrastive_head.retrieval_feature(out.paths['audio'])
        visual = self.contrastive_head.retrieval_feature(out.paths['visual'])
        if frames is not None:
            audio = audio.unflatten(0, (-1, frames))
            visual = visual.unflatten(0, (-1, frames))
        return audio, visual

    def predict(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[List[ActionDataSample]] = None
    ) -> List[ActionDataSample]:
        """Per-sample retrieval features ``audio_feature`` and
        ``visual_feature`` (see :meth:`retrieval_features`)."""
        audio, visual = self.retrieval_features(inputs)
        if data_samples is None:
            data_samples = [ActionDataSample() for _ in range(len(audio))]
        for sample, feat_a, feat_v in zip(
                data_samples, audio, visual, strict=True):
            sample.audio_feature = feat_a
            sample.visual_feature = feat_v
        return data_samples
