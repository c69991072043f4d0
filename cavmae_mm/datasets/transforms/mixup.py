"""Mixup of two clips: waveform and frame (the target follows in
``EncodeLabels``)."""
import random
from typing import Dict, List, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from cavmae_mm.registry import TRANSFORMS
from cavmae_mm.utils.mixing import mix_frames


def mix_samples(first: Dict,
                second: Dict,
                lam: float,
                pair_frames: bool = False) -> Dict:
    """Mixes two loaded samples with weight ``lam`` on the first.

    Waveforms: each mean-removed, the second zero-padded or cut to the
    first's length, ``lam * w1 + (1 - lam) * w2`` (the fbank removes the mean
    of the mix again). Frames: ``lam * x1 + (1 - lam) * x2`` on the 0-255
    scale, as float (:func:`cavmae_mm.utils.mixing.mix_frames`), or with
    ``pair_frames`` both clips' uint8 frames stacked, ``[2, ...]``, for the
    data preprocessor to mix on the device (the same formula). The target is
    left to ``EncodeLabels``, which reads the added ``mix_lambda`` and
    ``mix_label_indices``.

    Args:
        first (dict): Results with ``waveform``, ``imgs`` (uint8 tensor) and
            ``label_indices``.
        second (dict): The same keys, from another clip.
        lam (float): Weight of the first sample.
        pair_frames (bool): Stack the frames instead of mixing them.
            Defaults to False.

    Returns:
        dict: ``first`` with mixed ``waveform`` and ``imgs`` and the added
        ``mix_lambda``, ``mix_label_indices`` and ``mix_video_id``.
    """
    wave1 = first['waveform'] - first['waveform'].mean()
    wave2 = second['waveform'] - second['waveform'].mean()
    length = wave1.shape[-1]
    if wave2.shape[-1] < length:
        wave2 = torch.nn.functional.pad(wave2, (0, length - wave2.shape[-1]))
    wave2 = wave2[..., :length]
    first['waveform'] = lam * wave1 + (1 - lam) * wave2
    if pair_frames:
        frames = (first['imgs'], second['imgs'])
        if any(f.dtype != torch.uint8 for f in frames):
            raise TypeError('frames to mix on the device must be uint8, got '
                            f'{frames[0].dtype} and {frames[1].dtype}')
        if frames[0].shape != frames[1].shape:
            raise ValueError('frames to mix have shapes '
                             f'{tuple(frames[0].shape)} and '
                             f'{tuple(frames[1].shape)}')
        first['imgs'] = torch.stack(frames)
    else:
        first['imgs'] = mix_frames(first['imgs'], second['imgs'], lam)
    first['mix_lambda'] = float(lam)
    first['mix_label_indices'] = list(second.get('label_indices', []))
    first['mix_video_id'] = second.get('video_id')
    return first


@TRANSFORMS.register_module()
class AudioVisualMixup(BaseTransform):
    """The reference's mixup, in the shape of mmdet's ``MixUp`` transform.

    Inside ``AudioVisualMixupDataset``: the wrapper asks
    :meth:`get_indexes` for the partner (none with probability
    ``1 - prob``), loads it and hands it over under ``mix_results``; this
    transform then draws ``lam ~ Beta(alpha, alpha)`` and mixes. As in the
    reference, the decision and the partner use Python's ``random`` (uniform
    over the dataset) and ``lam`` numpy's global generator. Place
    ``EncodeLabels`` after it: the mixed target is encoded once, there.

    Required Keys:
        - waveform
        - imgs
        - label_indices
        - mix_results (list of one partner's results, or empty)

    Added Keys (when mixed):
        - mix_lambda (float)
        - mix_label_indices (list[int])
        - mix_video_id (str)

    Modified Keys (when mixed):
        - waveform
        - imgs (float on the 0-255 scale; with ``frames_on_device`` the two
          clips' uint8 frames stacked, ``[2, ...]``)

    Removed Keys:
        - mix_results

    With ``frames_on_device`` the frames stay uint8 and the data
    preprocessor (``AVDataPreprocessor``) mixes them on the device with the
    sample's ``mix_lambda``, which ``PackActionInputs`` must then keep in
    ``meta_keys`` (the mixup wrapper checks): the same float32 formula, so
    the same values, with a pair of uint8 frames (half the bytes of one
    float32 frame) crossing to the device instead of float32.

    Args:
        prob (float): Mixup rate. Defaults to 0.5.
        alpha (float): Beta parameter. Defaults to 10.
        frames_on_device (bool): Leave the frames' mixing to the data
            preprocessor. Defaults to False.
    """

    def __init__(self,
                 prob: float = 0.5,
                 alpha: float = 10.0,
                 frames_on_device: bool = False) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if alpha <= 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        self.prob = prob
        self.alpha = alpha
        self.frames_on_device = frames_on_device

    def get_indexes(self, dataset, index: Optional[int] = None) -> List[int]:
        """The partner to load: one random index, or none (no mixing).

        The partner is drawn uniformly from the whole dataset, as the
        reference draws it, or, for a dataset that offers
        ``partner_pool(index)`` (data read from shards), uniformly from
        that pool (the clip's own shard, which is already being read).
        """
        if random.random() >= self.prob:
            return []
        pool = getattr(dataset, 'partner_pool', None)
        if pool is None or index is None:
            return [random.randint(0, len(dataset) - 1)]
        candidates = pool(index)
        return [int(candidates[random.randint(0, len(candidates) - 1)])]

    def transform(self, results: Dict) -> Optional[Dict]:
        partners = results.pop('mix_results', None) or []
        if len(partners) > 1:
            raise ValueError(f'mixup takes one partner, got {len(partners)}')
        if not partners:
            return results
        lam = np.random.beta(self.alpha, self.alpha)
        return mix_samples(
            results, partners[0], lam, pair_frames=self.frames_on_device)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'alpha={self.alpha}, '
                f'frames_on_device={self.frames_on_device})')
