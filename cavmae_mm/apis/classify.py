"""Classification of raw video and audio files: the one inference path.

:class:`RawMediaClassifier` decodes, batches and classifies files;
:func:`inference_recognizer`, :class:`cavmae_mm.apis.CAVMAEInferencer` and
``tools/infer.py`` wrap it. The data side (decoding a file as the official
extraction would, the config's test pipeline) is
:mod:`cavmae_mm.datasets.raw_media_dataset`.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch import nn

from cavmae_mm.datasets.audio_visual_dataset import read_label_csv
from cavmae_mm.datasets.raw_media_dataset import (RawMediaLoader,
                                                  collect_inputs, model_batch,
                                                  raw_batches,
                                                  test_pipeline_of)
from cavmae_mm.models.modality import modality_name

#: Label CSVs shipped with the package, by file name, for configs whose data
#: folder is not on this machine.
PACKAGED_LABELS = {
    'class_labels_indices.csv':
    Path(__file__).resolve().parents[1] / 'data' /
    'audioset_class_labels_indices.csv'
}

InputsType = Union[str, Path, Sequence[Union[str, Path]]]


def resolve_label_file(cfg: Config, label_file: Optional[str] = None) -> str:
    """The label CSV: ``label_file``, else the config's test set's (under
    its ``data_root``), else a packaged copy of the same file name."""
    if label_file:
        if not osp.isfile(label_file):
            raise FileNotFoundError(f'{label_file}: label CSV not found')
        return label_file
    dataset = test_pipeline_of(cfg)[0]
    name = dataset.get('label_file')
    if not name:
        raise ValueError('the config names no label_file; pass one')
    root = dataset.get('data_root') or ''
    path = name if osp.isabs(name) or not root else osp.join(root, name)
    if osp.isfile(path):
        return path
    packaged = PACKAGED_LABELS.get(osp.basename(name))
    if packaged is not None and packaged.is_file():
        return str(packaged)
    raise FileNotFoundError(
        f'{path}: the label CSV the config names is not on this machine; '
        'pass the label CSV (index,mid,display_name) with --label-file')


class RawMediaClassifier:
    """Classifies raw video and audio files with a finetuned recognizer.

    Each file is decoded as the official extraction would (16 kHz mono
    audio; the 10 frames at the official timestamps), then goes through the
    config's test pipeline (fbank, normalisation, resize/crop; all 10 frames
    averaged when the config tests that way). A file that lacks a modality
    runs the path the model supports for it (an audio-visual model:
    ``audio_without_visual`` / ``visual_without_audio``; not CAV-MAE Sync's
    audio-visual clip head, which needs both, so such a file is an error).

    Args:
        model (nn.Module): A ``CAVMAERecognizer`` from
            :func:`cavmae_mm.apis.init_model`.
        label_file (str, optional): Label CSV instead of the config's.
    """

    def __init__(self,
                 model: nn.Module,
                 label_file: Optional[str] = None) -> None:
        if not hasattr(model, 'cls_head') or not hasattr(model, 'modality'):
            raise TypeError(f'{type(model).__name__} is not a classifier: '
                            'use a finetuned config (CAVMAERecognizer)')
        cfg: Config = model.cfg
        self.model = model
        path = resolve_label_file(cfg, label_file)
        rows = read_label_csv(path)
        num_classes = model.cls_head.num_classes
        if len(rows) != num_classes:
            raise ValueError(f'{path}: {len(rows)} classes, but the model '
                             f'classifies {num_classes} '
                             '(model.cls_head.num_classes); use the label '
                             'CSV the model was trained with')
        self.label_file = path
        self.labels = [row['display_name'] for row in rows]
        dataset = test_pipeline_of(cfg)[0]
        average = model.cls_head.average_clips
        if average in ('sigmoid', 'prob'):
            self.multi_label = average == 'sigmoid'
        else:
            self.multi_label = bool(dataset.get('multi_label', True))
        self.average = average
        # CAV-MAE Sync's clip head on both modalities reads the audio and
        # visual global tokens side by side: no one-modality fallback
        fallback = not (getattr(model, 'aggregates_frames', False)
                        and modality_name(model.modality) == 'audio_visual')
        self.loader = RawMediaLoader(
            dataset['pipeline'], model.modality, fallback=fallback)

    def batches(self,
                files: Sequence[str],
                batch_size: int = 1,
                num_workers: int = 0):
        """Prepared files in batches (decoded in ``num_workers``
        processes)."""
        return raw_batches(files, self.loader, batch_size, num_workers)

    def _scores(self, pred_score: torch.Tensor) -> torch.Tensor:
        if self.average in ('sigmoid', 'prob'):
            return pred_score
        return pred_score.sigmoid() if self.multi_label else \
            pred_score.softmax(dim=-1)

    @torch.no_grad()
    def score_samples(self, samples: Sequence[Dict],
                      modality: str) -> torch.Tensor:
        """Class scores [N, num_classes] (sigmoid for multi-label models,
        softmax else; on the CPU) of prepared samples that run
        ``modality``."""
        configured = self.model.modality
        try:
            self.model.modality = modality
            predicted = self.model.test_step(model_batch(samples))
        finally:
            self.model.modality = configured
        return torch.stack(
            [self._scores(s.pred_score.float().cpu()) for s in predicted])

    def top_predictions(self,
                        scores: torch.Tensor,
                        topk: int = 5) -> List[Dict]:
        """``[dict(label, index, score)]`` of the ``topk`` best classes of
        one score vector."""
        values, indices = scores.topk(min(topk, len(self.labels)))
        return [
            dict(label=self.labels[j], index=int(j), score=float(v))
            for v, j in zip(values.tolist(), indices.tolist(), strict=True)
        ]

    @torch.no_grad()
    def classify(self, batch: List[Dict], topk: int = 5) -> List[Dict]:
        """Results (or errors) of one batch from :meth:`batches`, in order.

        Returns:
            list[dict]: ``dict(input, modality, predictions=[dict(label,
            index, score)])`` or ``dict(input, error)`` per file.
        """
        out: List[Optional[Dict]] = [None] * len(batch)
        groups: Dict[str, List[int]] = {}
        for i, item in enumerate(batch):
            if 'error' in item:
                out[i] = dict(input=item['input'], error=item['error'])
            else:
                for note in item['sample']['notes']:
                    print_log(f'{item["input"]}: {note}', logger='current')
                groups.setdefault(item['sample']['modality'], []).append(i)
        for modality, members in groups.items():
            scores = self.score_samples([batch[i]['sample'] for i in members],
                                        modality)
            for i, row in zip(members, scores, strict=True):
                out[i] = dict(
                    input=batch[i]['input'],
                    modality=modality,
                    predictions=self.top_predictions(row, topk))
        return out  # type: ignore[return-value]

    def run(self,
            inputs: InputsType,
            topk: int = 5,
            batch_size: int = 1,
            num_workers: int = 0,
            show_progress: bool = False) -> Dict:
        """Classifies every file; see :func:`inference_recognizer`."""
        files = collect_inputs(inputs)
        bar = ProgressBar(len(files)) if show_progress else None
        items: List[Dict] = []
        for batch in self.iterate(files, topk, batch_size, num_workers):
            items.extend(batch)
            if bar is not None:
                for _ in batch:
                    bar.update()
        return split_results(items)

    def iterate(self, files: Sequence[str], topk: int, batch_size: int,
                num_workers: int) -> Iterator[List[Dict]]:
        """The results (or errors) of :meth:`classify`, batch by batch."""
        for batch in self.batches(files, batch_size, num_workers):
            yield self.classify(batch, topk)


def split_results(items: Sequence[Dict]) -> Dict:
    """``dict(results, errors)`` of classified items, in order; each error
    is logged."""
    errors = [item for item in items if 'error' in item]
    for error in errors:
        print_log(f'failed: {error["error"]}', logger='current')
    return dict(
        results=[item for item in items if 'error' not in item], errors=errors)


def inference_recognizer(model: nn.Module,
                         inputs: InputsType,
                         topk: int = 5,
                         batch_size: int = 1,
                         num_workers: int = 0,
                         label_file: Optional[str] = None,
                         show_progress: bool = False,
                         window: Optional[float] = None,
                         stride: Optional[float] = None) -> Dict:
    """Classifies raw video and/or audio files; a file longer than the
    model's clip window by window (see
    :class:`cavmae_mm.apis.long_media.LongMediaClassifier`).

    Args:
        model (nn.Module): A finetuned recognizer from
            :func:`cavmae_mm.apis.init_model`.
        inputs: A file, a folder (its media files, recursive, sorted), a
            ``.txt`` list of files, or a list of any of these. Videos: mp4,
            mkv, webm, avi, mov; audio: wav, flac, mp3, ogg, m4a (any rate
            and channel count: converted to 16 kHz mono).
        topk (int): Predictions per file. Defaults to 5.
        batch_size (int): Files per forward pass. Defaults to 1.
        num_workers (int): Decoding processes. Defaults to 0 (in this
            process).
        label_file (str, optional): Label CSV instead of the config's.
        show_progress (bool): Show a progress bar (and one per long file).
        window (float, optional): Window length of long files in seconds;
            defaults to the model's clip length.
        stride (float, optional): Seconds between windows; defaults to
            half the window.

    Returns:
        dict: ``results``: ``[{"input", "modality", "predictions": [{"label",
        "index", "score"}, ...], "duration", "window", "stride",
        "aggregation", "segments": [{"start", "end", "predictions"}]}]``
        (scores: sigmoid for multi-label models, softmax for single-label
        ones; a long file's ``predictions`` aggregate its windows' by
        ``aggregation``, the max or the mean); ``errors``: ``[{"input",
        "error"}]`` for the files that could not be classified.
    """
    from .long_media import LongMediaClassifier, classify_files
    long = LongMediaClassifier(
        RawMediaClassifier(model, label_file), window, stride, batch_size)
    return classify_files(long, collect_inputs(inputs), topk, num_workers,
                          show_progress)
