"""The dataset wrapper of mixup: it fetches the partners a transform asks
for (the shape of mmdet's ``MultiImageMixDataset``)."""
from typing import Callable, Sequence, Union

from mmengine.dataset import BaseDataset, Compose

from cavmae_mm.registry import DATASETS, TRANSFORMS
from .skip_policy import (DATA_ERRORS, fetch_or_replace, pop_replacements,
                          record_replacements)


@DATASETS.register_module()
class AudioVisualMixupDataset:
    """Runs ``pipeline`` on the wrapped dataset's samples, fetching the
    partner clips its mixing transform asks for.

    The wrapped dataset's pipeline loads a clip up to the point where the
    reference mixes (waveform and resized frame); this wrapper's
    ``pipeline`` continues from there. Before each transform that has a
    ``get_indexes(dataset, index)`` method (``AudioVisualMixup``), the wrapper
    loads the samples at those indices and hands them over under
    ``mix_results``; the transform mixes. The rest (``EncodeLabels``, which
    encodes the mixed target once, fbank, SpecAugment, normalisation,
    noise, packing) follows.

    Bad data follow the wrapped dataset's ``on_error`` policy everywhere: a
    clip or partner that cannot be loaded is handled by the wrapped dataset,
    and an error of this wrapper's pipeline (e.g. a clip too short for one
    fbank frame) is a :class:`DatumError` naming the datum, its file and its
    partner, or with ``on_error='skip'`` the whole sample is drawn anew. The
    replacements of both clips are recorded in the packed sample.

    Args:
        dataset (dict | BaseDataset): The clips (e.g. AudioVisualDataset).
        pipeline (list): Transforms from mixing on.
    """

    def __init__(self, dataset: Union[dict, BaseDataset],
                 pipeline: Sequence[Union[dict, Callable]]) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset,
                                                             dict) else \
            dataset
        self.pipeline = Compose([
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
        ])
        self._check_frame_pairs_reach_the_device()

    def _check_frame_pairs_reach_the_device(self) -> None:
        """Frames left unmixed for the device (``AudioVisualMixup(
        frames_on_device=True)``) are mixed by the data preprocessor with the
        sample's ``mix_lambda``: the packing step must keep it."""
        transforms = self.pipeline.transforms
        if not any(getattr(t, 'frames_on_device', False) for t in transforms):
            return
        for transform in transforms:
            meta_keys = getattr(transform, 'meta_keys', None)
            if meta_keys is not None and 'mix_lambda' not in meta_keys:
                raise ValueError(
                    f'{type(transform).__name__}(meta_keys={meta_keys}) drops '
                    "'mix_lambda', which the data preprocessor needs to mix "
                    'the frame pairs of AudioVisualMixup(frames_on_device='
                    "True): add 'mix_lambda' to meta_keys")

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
        for transform in self.pipeline.transforms:
            if hasattr(transform, 'get_indexes'):
                indexes = transform.get_indexes(self.dataset, idx)
                partners = [self.dataset[i] for i in indexes]
                for partner in partners:
                    reasons += pop_replacements(partner)
                partner_name = ''.join(
                    f' (mixed with datum {i}, {p.get("video_id")})'
                    for i, p in zip(indexes, partners))
                results['mix_results'] = partners
            try:
                results = transform(results)
            except DATA_ERRORS as err:
                raise ValueError(f'{err}{partner_name}') from err
            if results is None:
                return None
        return record_replacements(results, reasons)

    def __getitem__(self, idx: int) -> dict:
        inner = self.dataset
        if not getattr(inner, '_fully_initialized', True):
            inner.full_init()
        describe = getattr(inner, 'describe_error',
                           None) or (lambda i, err:
                                     (f'datum {i}', f'datum {i}: {err}'))
        return fetch_or_replace(self._prepare, idx, len(self), describe,
                                getattr(inner, 'on_error', 'raise'),
                                getattr(inner, 'max_refetch', 1000))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(dataset='
                f'{type(self.dataset).__name__}, pipeline={self.pipeline})')
