"""Moves packed audio-visual batches to the device and normalises images."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from cavmae_mm.registry import MODELS
from cavmae_mm.utils.mixing import mix_frames

#: Keys of the packed ``inputs`` dict: fbank, frames, and the waveforms of
#: a recipe that computes fbank on the device.
INPUT_KEYS = ('audios', 'imgs', 'waveforms')


def _stack(value: Union[Tensor, Sequence[Tensor]], key: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, Tensor) for v in value):
        shapes = {tuple(v.shape) for v in value}
        if len(shapes) != 1:
            raise ValueError(f'inputs[{key!r}] holds tensors of different '
                             f'shapes {sorted(shapes)}; cannot batch them')
        return torch.stack(list(value))
    raise TypeError(f'inputs[{key!r}] must be a tensor or a non-empty list '
                    f'of tensors, got {type(value).__name__}')


@MODELS.register_module()
class AVDataPreprocessor(BaseDataPreprocessor):
    """Data preprocessor for ``inputs=dict(audios=..., imgs=...)`` batches.

    Stacks the per-sample tensors, moves them to the model's device, and
    normalises images there: ``(x / 255 - mean) / std``. Frames may therefore
    travel from the data loader as uint8 (a quarter of the bytes of float32);
    float images on the same 0-255 scale (e.g. frames mixed in the pipeline)
    are accepted too. A mixed-up sample of ``AudioVisualMixup(
    frames_on_device=True)`` brings both clips' uint8 frames, ``[2, ...]``,
    and its ``mix_lambda`` (data sample metainfo); they are mixed here,
    after the copy, with the pipeline's formula (the same values). Audio
    fbank arrives already normalised by the data pipeline and is only cast
    to float32. Either key may be absent (single-modality data).

    With ``fbank_on_device`` (a config of the registered
    :class:`FbankOnDevice`, which takes the arguments of the pipeline's
    ``AudioFrontEnd``; ``type`` may be left out), the audio input is
    instead ``waveforms``, mean-removed waveforms (transform
    ``WaveformAsInput``), and the fbank, its padding, SpecAugment, the
    normalisation and the noise (the last ones in training only) are
    computed here for the whole batch on the device: the GPU-side path for
    machines whose CPU cores cannot keep up. For example, the AudioSet
    finetuning recipe's audio steps become::

        model = dict(data_preprocessor=dict(fbank_on_device=dict(
            _base_.audio_frontend, type='FbankOnDevice', freqm=48,
            timem=192, noise=True)))
        # pipelines: LoadAudio, WaveformAsInput (no AudioFrontEnd),
        # PackActionInputs(collect_keys=('waveforms', 'imgs')); the mixup
        # wrapper's too

    With a ``clip_length`` (CAV-MAE Sync's front end), the segments of each
    clip's chosen frames are cut on the device: the pipelines pack
    ``frame_slots`` and ``num_frames`` in the data samples' metainfo
    instead of running ``AlignAudioToFrames``.

    Args:
        mean (Sequence[float]): Per-channel image mean on the 0-1 scale.
            Defaults to ImageNet's.
        std (Sequence[float]): Per-channel image std on the 0-1 scale.
            Defaults to ImageNet's.
        non_blocking (bool): Asynchronous host-to-device copies. Defaults to
            True.
        fbank_on_device (dict, optional): Compute fbank from waveforms on
            the device with these :class:`FbankOnDevice` arguments.
            Defaults to None (fbank comes from the pipeline).
    """

    def __init__(self,
                 mean: Sequence[float] = (0.485, 0.456, 0.406),
                 std: Sequence[float] = (0.229, 0.224, 0.225),
                 non_blocking: bool = True,
                 fbank_on_device: Optional[dict] = None) -> None:
        super().__init__(non_blocking=non_blocking)
        self.fbank_on_device = None
        if fbank_on_device is not None:
            self.fbank_on_device = MODELS.build(
                dict(dict(type='FbankOnDevice'), **fbank_on_device))
        if len(mean) != len(std):
            raise ValueError('mean and std must have the same length')
        self.register_buffer(
            'mean', torch.tensor(mean).view(-1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(-1, 1, 1), persistent=False)

    def normalize_images(self, imgs: Tensor) -> Tensor:
        """(imgs / 255 - mean) / std over the channel axis (dim -3)."""
        if imgs.shape[-3] != self.mean.shape[0]:
            raise ValueError(f'images have {imgs.shape[-3]} channels at dim '
                             f'-3, expected {self.mean.shape[0]}')
        return (imgs.float() / 255.0 - self.mean) / self.std

    def mix_frame_pairs(
            self, imgs: Union[Tensor, Sequence[Tensor]],
            data_samples: Optional[list]) -> Union[Tensor, Sequence[Tensor]]:
        """Moves each sample's frames to the device and mixes the uint8
        pairs of mixed-up samples there.

        A sample is a pair when its data sample carries ``mix_lambda`` and
        its frames are still integers (frames mixed in the pipeline are
        float).

        Returns:
            Tensor | list: ``imgs`` as given when no sample is a pair, else
            per-sample float32 frames on the device.
        """
        if not data_samples:
            return imgs
        lambdas = [
            sample.metainfo.get('mix_lambda')
            if hasattr(sample, 'metainfo') else None for sample in data_samples
        ]
        if all(lam is None or frames.is_floating_point()
               for frames, lam in zip(imgs, lambdas)):
            return imgs
        moved = []
        for frames, lam in zip(imgs, lambdas):
            frames = self.cast_data(frames)
            if lam is not None and not frames.is_floating_point():
                if frames.shape[0] != 2:
                    raise ValueError('a mixed-up sample with integer frames '
                                     'must hold the pair [2, ...], got '
                                     f'shape {tuple(frames.shape)}')
                frames = mix_frames(frames[0], frames[1], lam)
            moved.append(frames.float())
        return moved

    def _chosen_frames(self, data_samples: Optional[list], clips: int) -> dict:
        """``frame_slots`` and ``num_frames`` of each clip, from the data
        samples' metainfo, when the device fbank cuts segments at the
        chosen frames (CAV-MAE Sync); else nothing."""
        if not self.fbank_on_device.cuts_segments:
            return {}
        metas = [
            getattr(sample, 'metainfo', {}) for sample in data_samples or []
        ]
        missing = [
            i for i, meta in enumerate(metas) if 'num_frames' not in meta
            or not ('frame_slots' in meta or 'frame_inds' in meta)
        ]
        if len(metas) != clips or missing:
            raise KeyError(
                'the device fbank cuts each clip\'s segments at its chosen '
                'frames: pack frame_slots (or frame_inds) and num_frames '
                "in PackActionInputs' meta_keys (clips without them: "
                f'{missing or "no data samples"})')
        return dict(
            frame_slots=[
                meta.get('frame_slots', meta.get('frame_inds'))
                for meta in metas
            ],
            num_frames=[meta['num_frames'] for meta in metas])

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batches, moves and normalises one collated batch.

        Args:
            data (dict): ``inputs`` (dict with ``audios`` (or, with
                ``fbank_on_device``, ``waveforms``) and/or ``imgs``,
                tensors or lists of per-sample tensors) and optionally
                ``data_samples``.
            training (bool): Training batch (augments device fbank).

        Returns:
            dict: ``inputs=dict(audios=[B, T, F] float32, imgs=[B, (N,) C, H,
            W] float32)`` on the device, and the ``data_samples``.
        """
        inputs = data.get('inputs') if isinstance(data, dict) else None
        if not isinstance(inputs, dict) or not set(inputs) & set(INPUT_KEYS):
            raise TypeError('AVDataPreprocessor expects data["inputs"] to be '
                            f'a dict with keys among {INPUT_KEYS}')
        unknown = set(inputs) - set(INPUT_KEYS)
        if unknown:
            raise KeyError(f'unexpected input keys {sorted(unknown)}; '
                           f'expected {INPUT_KEYS}')
        waveforms = None
        if 'waveforms' in inputs:
            if self.fbank_on_device is None:
                raise KeyError('inputs hold waveforms but this data '
                               'preprocessor has no fbank_on_device to turn '
                               'them into fbank')
            if 'audios' in inputs:
                raise KeyError('inputs hold both fbank (audios) and '
                               'waveforms')
            inputs = dict(inputs)
            waveforms = inputs.pop('waveforms')
            if isinstance(waveforms, Tensor):
                waveforms = list(waveforms)
        data_samples: Optional[list] = data.get('data_samples')
        if 'imgs' in inputs:
            inputs = dict(
                inputs,
                imgs=self.mix_frame_pairs(inputs['imgs'], data_samples))
        batch = {key: _stack(value, key) for key, value in inputs.items()}
        batch = self.cast_data(batch)
        if waveforms is not None:
            batch['audios'] = self.fbank_on_device(
                waveforms, training,
                **self._chosen_frames(data_samples, len(waveforms)))
        elif 'audios' in batch:
            batch['audios'] = batch['audios'].float()
        if 'imgs' in batch:
            batch['imgs'] = self.normalize_images(batch['imgs'])
        if data_samples is not None:
            data_samples = self.cast_data(data_samples)
        return dict(inputs=batch, data_samples=data_samples)
