"""Per-class analysis of dumped predictions (``tools/test.py --dump``).

The dump is MMEngine's ``DumpResults`` file: a pickled list with one dict
per test clip, holding ``pred_score`` (a tensor [C], the clip's averaged
class scores), ``gt_label`` (the class index as a tensor [1] for
single-label data such as VGGSound, or a multi-hot tensor [C] for
multi-label data such as AudioSet) and the meta keys (``video_id``).

Single-label data gives a confusion matrix (rows: true class, columns:
predicted class = the top score) and each class's accuracy. On multi-label
data a confusion matrix is undefined (a clip has several true classes and
no single predicted one); each class's average precision and ROC AUC are
reported instead, whose mean over the scored classes is the mAP and mAUC of
:class:`AudioSetMetric`.
"""
import pickle
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from .functional import average_precision, roc_auc


class Predictions(NamedTuple):
    """Dumped predictions as arrays."""
    scores: np.ndarray  #: [N, C] float
    #: [N] int class indices (single-label) or [N, C] float multi-hot
    labels: np.ndarray
    video_ids: List[str]

    @property
    def num_classes(self) -> int:
        return self.scores.shape[1]

    @property
    def single_label(self) -> bool:
        return self.labels.ndim == 1


def _array(value, what: str, source: str, index: int) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().float().numpy() \
            if value.is_floating_point() else value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{source}: prediction {index}: {what} is not an '
                         f'array ({err})') from err


def load_predictions(path: Path) -> Predictions:
    """Reads a ``--dump`` file of ``tools/test.py``.

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not such a dump (not a pickle, not a list of dicts with
            ``pred_score`` and ``gt_label``, or shapes that disagree); the
            message names the file and the prediction.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such file')
    try:
        with open(path, 'rb') as handle:
            records = pickle.load(handle)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            IndexError, TypeError, ValueError) as err:
        raise ValueError(f'{path}: not a pickle of predictions '
                         f'({type(err).__name__}: {err})') from err
    if not isinstance(records, list) or not records:
        raise ValueError(f'{path}: expected a non-empty list of '
                         'predictions, as tools/test.py --dump writes it')
    scores, labels, ids = [], [], []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or 'pred_score' not in record or \
                'gt_label' not in record:
            keys = sorted(record) if isinstance(record, dict) else \
                type(record).__name__
            raise ValueError(f'{path}: prediction {index} lacks pred_score '
                             f'or gt_label (has {keys}); dump the '
                             'predictions of a classifier')
        score = _array(record['pred_score'], 'pred_score', str(path), index)
        label = _array(record['gt_label'], 'gt_label', str(path), index)
        if score.ndim != 1:
            raise ValueError(f'{path}: prediction {index}: pred_score has '
                             f'shape {score.shape}, expected [classes]')
        scores.append(score.astype(np.float64))
        labels.append(label.reshape(-1))
        ids.append(str(record.get('video_id', index)))
    widths = {s.shape[0] for s in scores}
    if len(widths) > 1:
        raise ValueError(f'{path}: pred_score lengths differ between '
                         f'predictions ({sorted(widths)})')
    num_classes = widths.pop()
    label_widths = {label.shape[0] for label in labels}
    if label_widths == {1} and num_classes > 1:
        index_labels = np.array([int(label[0]) for label in labels])
        bad = np.flatnonzero((index_labels < 0)
                             | (index_labels >= num_classes))
        if bad.size:
            raise ValueError(f'{path}: prediction {bad[0]}: class index '
                             f'{index_labels[bad[0]]} outside [0, '
                             f'{num_classes})')
        return Predictions(np.stack(scores), index_labels, ids)
    if label_widths != {num_classes}:
        raise ValueError(f'{path}: gt_label must be a class index or a '
                         f'vector of the {num_classes} classes of '
                         f'pred_score; got lengths {sorted(label_widths)}')
    return Predictions(
        np.stack(scores),
        np.stack(labels).astype(np.float64), ids)


def as_single_label(predictions: Predictions) -> Predictions:
    """One-hot (or label-smoothed) targets as class indices.

    Raises:
        ValueError: A clip with no, or several, top target classes.
    """
    if predictions.single_label:
        return predictions
    targets = predictions.labels
    top = targets.max(axis=1, keepdims=True)
    counts = (targets == top).sum(axis=1)
    bad = np.flatnonzero((counts != 1) | (top[:, 0] <= 0))
    if bad.size:
        raise ValueError(f'clip {predictions.video_ids[bad[0]]} has '
                         f'{int(counts[bad[0]])} top classes in its target: '
                         'not single-label data')
    return predictions._replace(labels=targets.argmax(axis=1))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Counts [C, C]: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def predictions_confusion(predictions: Predictions) -> np.ndarray:
    """The confusion matrix of single-label predictions (top score)."""
    return confusion_matrix(predictions.labels,
                            predictions.scores.argmax(axis=1),
                            predictions.num_classes)


def per_class_accuracy(matrix: np.ndarray,
                       classes: Sequence[str]) -> List[Dict]:
    """Each class of a confusion matrix: ``samples``, ``correct``,
    ``accuracy`` (nan without samples) and the class it is most often
    mistaken for (``confused_with``, ``confused_count``; None if never)."""
    rows = []
    for k, name in enumerate(classes):
        samples = int(matrix[k].sum())
        wrong = matrix[k].copy()
        wrong[k] = 0
        other = int(wrong.argmax()) if wrong.any() else None
        rows.append(
            dict(
                index=k,
                name=name,
                samples=samples,
                correct=int(matrix[k, k]),
                accuracy=matrix[k, k] / samples if samples else float('nan'),
                confused_with=None if other is None else classes[other],
                confused_count=0 if other is None else int(wrong[other])))
    return rows


def per_class_ap(predictions: Predictions,
                 classes: Sequence[str]) -> List[Dict]:
    """Each class of multi-label predictions: ``positives`` (clips with the
    class), ``ap`` and ``auc`` (nan when they cannot be scored)."""
    positive = predictions.labels > 0.5
    rows = []
    for k, name in enumerate(classes):
        rows.append(
            dict(
                index=k,
                name=name,
                positives=int(positive[:, k].sum()),
                ap=average_precision(positive[:, k], predictions.scores[:, k]),
                auc=roc_auc(positive[:, k], predictions.scores[:, k])))
    return rows


def nan_mean(values: Sequence[float]) -> Optional[float]:
    """Mean of the finite values; None when there is none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def read_class_names(path: Path) -> List[str]:
    """Class names of a label CSV (``index,mid,display_name``) or of a
    text file with one name per line (MMAction2's label maps).

    Raises:
        FileNotFoundError: No such file.
        ValueError: A malformed label CSV, or an empty file.
    """
    from cavmae_mm.datasets.audio_visual_dataset import read_label_csv
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such label file')
    if path.suffix.lower() == '.csv':
        return [row['display_name'] for row in read_label_csv(str(path))]
    names = [
        line.strip() for line in path.read_text(encoding='utf-8').splitlines()
        if line.strip()
    ]
    if not names:
        raise ValueError(f'{path}: no class names in it')
    return names


def config_test_labels(cfg) -> Dict:
    """Where a config's test data takes its classes from: ``label_file``
    (resolved against ``data_root``, None without one) and
    ``multi_label`` (the dataset's default, True, when not set), read
    through dataset wrappers."""
    loader = cfg.get('test_dataloader') or {}
    dataset = loader.get('dataset') or {}
    while 'label_file' not in dataset and isinstance(
            dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    label_file = dataset.get('label_file')
    root = dataset.get('data_root') or ''
    if label_file and root and not Path(label_file).is_absolute():
        label_file = str(Path(root) / label_file)
    return dict(
        label_file=label_file,
        multi_label=bool(dataset.get('multi_label', True)))
