"""Mixup of two clips (waveform, frame and target), as a dataset wrapper."""
import random
from typing import Callable, Dict, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset, Compose

from cavmae_mm.registry import DATASETS, TRANSFORMS
from .skip_policy import (DATA_ERRORS, fetch_or_replace, pop_replacements,
                          record_replacements)
from .transforms import EncodeLabels


def mix_samples(first: Dict, second: Dict, lam: float,
                labels: EncodeLabels) -> Dict:
    """Mixes two loaded samples with weight ``lam`` on the first.

    Waveforms: each mean-removed, the second zero-padded or cut to the
    first's length, ``lam * w1 + (1 - lam) * w2`` (``KaldiFbank`` removes the
    mean of the mix again). Frames: ``lam * x1 + (1 - lam) * x2`` on the 0-255
    scale, as float (normalisation is affine, so this equals mixing the
    normalised frames). Target: the reference's smoothed mixed target of
    both clips' ``label_indices`` (:meth:`EncodeLabels.encode_mixed`).

    Args:
        first (dict): Results with ``waveform``, ``imgs`` (uint8 tensor) and
            ``label_indices``.
        second (dict): The same keys, from another clip.
        lam (float): Weight of the first sample.
        labels (EncodeLabels): The target encoding (classes, smoothing).

    Returns:
        dict: ``first`` with mixed ``waveform``, ``imgs``, ``label`` and the
        added ``mix_lambda`` and ``mix_video_id``.
    """
    wave1 = first['waveform'] - first['waveform'].mean()
    wave2 = second['waveform'] - second['waveform'].mean()
    length = wave1.shape[-1]
    if wave2.shape[-1] < length:
        wave2 = torch.nn.functional.pad(wave2, (0, length - wave2.shape[-1]))
    wave2 = wave2[..., :length]
    first['waveform'] = lam * wave1 + (1 - lam) * wave2
    first['imgs'] = lam * first['imgs'].float() + \
        (1 - lam) * second['imgs'].float()
    first['label'] = labels.mix(first, second, lam)
    first['mix_lambda'] = float(lam)
    first['mix_video_id'] = second.get('video_id')
    return first


@DATASETS.register_module()
class AudioVisualMixupDataset:
    """Draws a second clip and mixes it in, with probability ``prob``.

    The wrapped dataset's pipeline loads a clip up to the point where the
    reference mixes (waveform, resized frame, and ``EncodeLabels`` for the
    unmixed target); this
    wrapper's ``pipeline`` continues from there (fbank, SpecAugment,
    normalisation, noise, packing). As in the reference, the decision uses
    Python's ``random``, the partner is uniform over the dataset and
    ``lam ~ Beta(alpha, alpha)`` is drawn with numpy.

    Bad data follow the wrapped dataset's ``on_error`` policy everywhere: a
    clip or partner that cannot be loaded is handled by the wrapped dataset,
    and an error of this wrapper's pipeline (e.g. a clip too short for one
    fbank frame) is a :class:`DatumError` naming the datum, its file and its
    partner, or with ``on_error='skip'`` the whole sample is drawn anew. The
    replacements of both clips are recorded in the packed sample.

    Args:
        dataset (dict | BaseDataset): The clips (e.g. AudioVisualDataset).
        pipeline (list): Transforms after mixing.
        label_smooth (float): Smoothing of mixed targets; use the value of
            the wrapped pipeline's ``EncodeLabels``. Defaults to 0.
        prob (float): Mixup rate. Defaults to 0.5.
        alpha (float): Beta parameter. Defaults to 10.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 pipeline: Sequence[Union[dict, Callable]],
                 label_smooth: float = 0.0,
                 prob: float = 0.5,
                 alpha: float = 10.0) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset,
                                                             dict) else \
            dataset
        self.pipeline = Compose([
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
        ])
        self.prob = prob
        self.alpha = alpha
        self.labels = EncodeLabels(label_smooth=label_smooth)

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def full_init(self) -> None:
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def _prepare(self, idx: int) -> dict:
        results = self.dataset[idx]
        reasons = pop_replacements(results)
        partner_name = ''
        if random.random() < self.prob:
            partner_idx = random.randint(0, len(self.dataset) - 1)
            partner = self.dataset[partner_idx]
            reasons += pop_replacements(partner)
            partner_name = (f' (mixed with datum {partner_idx}, '
                            f'{partner.get("video_id")})')
            lam = np.random.beta(self.alpha, self.alpha)
            results = mix_samples(results, partner, lam, self.labels)
        try:
            packed = self.pipeline(results)
        except DATA_ERRORS as err:
            raise ValueError(f'{err}{partner_name}') from err
        return record_replacements(packed, reasons)

    def __getitem__(self, idx: int) -> dict:
        inner = self.dataset
        if not getattr(inner, '_fully_initialized', True):
            inner.full_init()
        return fetch_or_replace(self._prepare, idx, len(self),
                                inner.describe_error,
                                getattr(inner, 'on_error', 'raise'),
                                getattr(inner, 'max_refetch', 1000))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'alpha={self.alpha}, dataset={type(self.dataset).__name__})')
