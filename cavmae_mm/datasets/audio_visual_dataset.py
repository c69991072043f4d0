"""The audio-visual dataset of CAV-MAE's datalists (AudioSet, VGGSound)."""
import csv
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset

from cavmae_mm.registry import DATASETS, TRANSFORMS
from .skip_policy import check_on_error, fetch_or_replace


def read_label_csv(path: str) -> List[Dict[str, str]]:
    """Rows ``index, mid, display_name`` of a label CSV, in index order.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The header or an index is wrong (message names the row).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: label CSV not found')
    with open(path, newline='', encoding='utf-8') as handle:
        reader = csv.DictReader(handle)
        missing = {'index', 'mid', 'display_name'} - set(reader.fieldnames or
                                                         ())
        if missing:
            raise ValueError(f'{path}: label CSV lacks columns '
                             f'{sorted(missing)} (header: index,mid,'
                             'display_name)')
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        if row['index'] is None or row['index'].strip() != str(line - 2):
            raise ValueError(f'{path}:{line}: index {row["index"]!r}, '
                             f'expected {line - 2} (rows in index order)')
    if not rows:
        raise ValueError(f'{path}: label CSV has no classes')
    return rows


@DATASETS.register_module()
class AudioVisualDataset(BaseDataset):
    """Clips of the official datalist JSON with their labels.

    The datalist is ``{"data": [{"wav", "labels", "video_id",
    "video_path"}, ...]}``; ``labels`` is a comma-separated list of mids of
    the label CSV (``index, mid, display_name``). Relative ``wav`` and
    ``video_path`` resolve against ``data_root``. Each data info holds
    ``audio_path``, ``video_path``, ``video_id``, ``label_indices`` and
    ``num_classes``.

    Two relaxations serve training straight from video files and
    pretraining on unlabelled clips:

    - a datum without ``wav`` names a video file in ``video_path`` (as
      ``tools/data/build_datalist.py --video-dir`` writes it); its data info
      holds ``filename`` (the video, for the on-the-fly pipelines that
      decode the audio track and the frames) instead of ``audio_path``;
    - without ``label_file`` the dataset has no classes: ``labels`` may be
      absent or empty and every datum's ``label_indices`` is empty (for the
      pretraining recipes, which use no labels). With a label file, a datum
      without labels is an error.

    A sample that cannot be read raises :class:`DatumError` naming the
    datalist, the datum index, the file and the reason. With
    ``on_error='skip'`` (training only) a random other sample takes its
    place and the reason is recorded in the replacement (see
    :mod:`cavmae_mm.datasets.skip_policy`); ``ReplacedSamplesHook`` logs
    and counts them. No tensor is ever made up.

    Args:
        ann_file (str): Datalist JSON.
        label_file (str, optional): Label CSV; None for unlabelled clips.
        pipeline (list): Transforms.
        data_root (str): Root of relative paths. Defaults to ''.
        multi_label (bool): AudioSet-style multi-label (True) or single
            label (False, VGGSound). Recorded in metainfo.
        video_dir (str, optional): For on-the-fly decoding: the folder of
            the video files; each data info then also holds ``filename`` =
            ``{video_dir}/{video_id}{video_ext}`` (relative to data_root).
        video_ext (str): Video file extension. Defaults to '.mp4'.
        on_error (str): 'raise' (default) or 'skip'.
        test_mode (bool): Evaluation dataset (then 'skip' is refused).
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 label_file: Optional[str] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 data_root: str = '',
                 multi_label: bool = True,
                 video_dir: Optional[str] = None,
                 video_ext: str = '.mp4',
                 on_error: str = 'raise',
                 test_mode: bool = False,
                 **kwargs) -> None:
        check_on_error(on_error, test_mode)
        self.label_file = label_file
        self.multi_label = multi_label
        self.video_dir = video_dir
        self.video_ext = video_ext
        self.on_error = on_error
        rows = []
        if label_file is not None:
            rows = read_label_csv(
                label_file if osp.isabs(label_file) or not data_root else osp.
                join(data_root, label_file))
        self.mid_to_index = {row['mid']: i for i, row in enumerate(rows)}
        metainfo = dict(
            classes=tuple(r['display_name'] for r in rows),
            mids=tuple(r['mid'] for r in rows),
            num_classes=len(rows),
            multi_label=multi_label)
        # built here so that bare names resolve whatever the default scope
        transforms = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
        ]
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            pipeline=transforms,
            test_mode=test_mode,
            **kwargs)

    def _resolve(self, path: str) -> str:
        return path if osp.isabs(path) or not self.data_root else \
            osp.join(self.data_root, path)

    def load_data_list(self) -> List[dict]:
        """Parses and validates the datalist."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{self.ann_file}: datalist not found')
        try:
            with open(self.ann_file, encoding='utf-8') as handle:
                content = json.load(handle)
        except json.JSONDecodeError as err:
            raise ValueError(f'{self.ann_file}: malformed JSON ({err})') \
                from err
        entries = content.get('data') if isinstance(content, dict) else None
        if not isinstance(entries, list):
            raise ValueError(f'{self.ann_file}: expected {{"data": [...]}}')
        if not entries:
            raise ValueError(f'{self.ann_file}: the datalist is empty')
        return [
            self._parse_datum(idx, entry) for idx, entry in enumerate(entries)
        ]

    def _label_indices(self, idx: int, entry: dict) -> List[int]:
        text = entry.get('labels') or ''
        if self.label_file is None:
            return []
        if not text.strip():
            raise ValueError(
                f'{self.ann_file}: datum {idx} ({entry["video_id"]}) has no '
                f'labels, but the dataset has classes ({self.label_file}); '
                'leave label_file out for unlabelled (pretraining) data')
        indices = []
        for mid in text.split(','):
            if mid not in self.mid_to_index:
                raise ValueError(
                    f'{self.ann_file}: datum {idx} ({entry["video_id"]}) '
                    f'has label {mid!r}, which {self.label_file} lacks')
            indices.append(self.mid_to_index[mid])
        if not self.multi_label and len(indices) != 1:
            raise ValueError(f'{self.ann_file}: datum {idx} has '
                             f'{len(indices)} labels in a single-label '
                             'dataset')
        return indices

    def _parse_datum(self, idx: int, entry: dict) -> dict:
        required = {'video_id', 'video_path'}
        if self.label_file is not None:
            required.add('labels')
        missing = required - set(entry if isinstance(entry, dict) else ())
        if missing:
            raise ValueError(f'{self.ann_file}: datum {idx} lacks '
                             f'{sorted(missing)}')
        info = dict(
            video_path=self._resolve(entry['video_path']),
            video_id=entry['video_id'],
            label_indices=self._label_indices(idx, entry),
            num_classes=len(self.mid_to_index))
        if 'wav' in entry:
            info['audio_path'] = self._resolve(entry['wav'])
        else:  # a video file: decoded on the fly
            info['filename'] = info['video_path']
        if self.video_dir is not None:
            info['filename'] = self._resolve(
                osp.join(self.video_dir, entry['video_id'] + self.video_ext))
        return info

    def describe_error(self, idx: int, err: Exception) -> Tuple[str, str]:
        """The datum's name (datalist, datum index, video id) and the reason
        it failed: the name, the file (when the error does not name it
        already) and the error."""
        info = self.get_data_info(idx)
        message = str(err)
        files = [
            info.get(key) for key in ('audio_path', 'filename', 'video_path')
            if info.get(key)
        ]
        if not any(path in message for path in files):
            message = f'{files[0]}: {message}' if files else message
        datum = f'{self.ann_file}: datum {idx} ({info["video_id"]})'
        return datum, f'{datum}: {message}'

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        return fetch_or_replace(self.prepare_data, idx, len(self),
                                self.describe_error, self.on_error,
                                self.max_refetch)
