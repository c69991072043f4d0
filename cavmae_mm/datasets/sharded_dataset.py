"""The audio-visual dataset read from WebDataset shards (see
:mod:`cavmae_mm.datasets.shards` and ``tools/data/pack_shards.py``)."""
import os
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from cavmae_mm.registry import DATASETS
from .audio_visual_dataset import AudioVisualDataset
from .shards.layout import (META_MEMBER, WAV_MEMBER, frame_index,
                            manifest_samples)
from .shards.storage import ShardStore, is_remote, read_manifest
from .shards.tar_span import Buffer, parse_span

#: Where a raw video member is written for OpenCV, which reads paths only.
_TMP_DIR = '/dev/shm' if osp.isdir('/dev/shm') else None


@DATASETS.register_module()
class ShardedAudioVisualDataset(AudioVisualDataset):
    """:class:`AudioVisualDataset` whose clips come from WebDataset shards.

    ``ann_file`` is the shards' ``manifest.json`` (a local path or an
    ``http(s)://`` URL; the shards lie beside it). The samples are the
    packed datalist's data in their datalist order, with their video ids
    and labels, so a recipe's pipelines, samplers (including the per-datum
    weight file of balanced sampling) and label CSV work unchanged: the
    stored bytes are the files' bytes, and ``LoadAudio``, ``SelectFrames``
    and ``LoadFrames`` read them from the sample (``audio_bytes``,
    ``frame_bytes``) instead of the disk. A raw-video sample gets a
    ``filename`` (a temporary copy of its video) for the on-the-fly
    pipelines.

    Reading a sample is a view of its byte span in the memory-mapped shard
    (only the members the pipeline uses are copied); each process keeps
    ``max_open_shards`` shards mapped. Remote shards are downloaded
    once per node into ``cache_dir`` and checked against the manifest's
    size and SHA-256. A truncated or corrupt shard, a sample without its
    wav or frames, or an unreachable URL raises an error naming the shard,
    the sample key and the reason, under the same ``on_error`` policy as
    the files.

    Args:
        ann_file (str): Path or URL of the manifest.
        label_file (str, optional): Label CSV; None for unlabelled clips.
        pipeline (list): Transforms.
        data_root (str): Root of a relative ``label_file`` (and of a
            relative manifest path). Defaults to ''.
        multi_label (bool): Multi-label (AudioSet) or single label.
        cache_dir (str, optional): Local copies of remote shards (default
            ``$CAVMAE_SHARD_CACHE`` or ``~/.cache/cavmae_mm/shards``).
        max_open_shards (int): Open shard files per process.
        on_error (str): 'raise' (default) or 'skip'.
        test_mode (bool): Evaluation dataset.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 label_file: Optional[str] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 data_root: str = '',
                 multi_label: bool = True,
                 cache_dir: Optional[str] = None,
                 max_open_shards: int = 16,
                 on_error: str = 'raise',
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.cache_dir = cache_dir
        self.max_open_shards = max_open_shards
        self.store: Optional[ShardStore] = None
        self.source_datums = np.zeros(0, dtype=np.int64)
        self.sample_shards = np.zeros(0, dtype=np.int64)
        self._shard_members: Optional[List[np.ndarray]] = None
        self.datalist_size = 0
        if is_remote(ann_file):  # BaseDataset would join it to data_root
            self.manifest_url, data_prefix = ann_file, ''
        else:
            self.manifest_url = None
            data_prefix = data_root
        super().__init__(
            ann_file=ann_file,
            label_file=label_file,
            pipeline=pipeline,
            data_root=data_prefix,
            multi_label=multi_label,
            on_error=on_error,
            test_mode=test_mode,
            **kwargs)

    @property
    def manifest_location(self) -> str:
        """The manifest's path or URL."""
        return self.manifest_url or self.ann_file

    def load_data_list(self) -> List[dict]:
        """The manifest's samples with their label indices and spans."""
        where = self.manifest_location
        manifest = read_manifest(where)
        base = where.rsplit('/', 1)[0] if is_remote(where) else \
            osp.dirname(osp.abspath(where))
        self.store = ShardStore(base, manifest['shardlist'], self.cache_dir,
                                self.max_open_shards)
        samples = manifest_samples(manifest)
        self.source_datums = np.array([s[0] for s in samples], dtype=np.int64)
        self.sample_shards = np.array([s[3] for s in samples], dtype=np.int64)
        self.datalist_size = int(manifest['cavmae_mm']['datalist_size'])
        del manifest  # the samples hold what is needed
        num_classes = len(self.mid_to_index)
        data_list = []
        for datum, video_id, labels, shard, offset, length in samples:
            entry = dict(video_id=video_id, labels=labels)
            data_list.append(
                dict(
                    video_id=video_id,
                    label_indices=self._label_indices(datum, entry),
                    num_classes=num_classes,
                    shard=shard,
                    offset=offset,
                    length=length))
        return data_list

    def shard_of(self) -> np.ndarray:
        """The shard index of every sample (for shard-aware samplers)."""
        if not self._fully_initialized:
            self.full_init()
        return self.sample_shards

    def partner_pool(self, index: int) -> np.ndarray:
        """The samples of ``index``'s shard: where mixup draws its partner
        (a random part of the datalist, as the shards are packed in a
        seeded random order, and already being read)."""
        if self._shard_members is None:
            order = np.argsort(self.shard_of(), kind='stable')
            bounds = np.cumsum(np.bincount(self.sample_shards))[:-1]
            self._shard_members = np.split(order, bounds)
        return self._shard_members[self.sample_shards[index]]

    def _where(self, info: Dict, key: Optional[str] = None) -> str:
        key = key or f'at byte {info["offset"]}'
        return f'{self.store.location(info["shard"])}#{key}'

    def _read_members(self, info: Dict) -> Tuple[str, Dict[str, Buffer]]:
        data = self.store.read(info['shard'], info['offset'], info['length'])
        return parse_span(data, self._where(info))

    def prepare_data(self, idx: int) -> dict:
        """Reads sample ``idx`` from its shard and runs the pipeline."""
        info = self.get_data_info(idx)
        key, members = self._read_members(info)
        where = self._where(info, key)
        if META_MEMBER not in members:
            raise ValueError(f'{where}: the sample has no {META_MEMBER} '
                             'member (not packed by pack_shards.py?)')
        frames, videos = {}, []
        for name, data in members.items():
            index = frame_index(name)
            if index is not None:
                frames[index] = data
            elif name not in (META_MEMBER, WAV_MEMBER):
                videos.append(name)
        info['video_path'] = where
        if videos:
            return self._run_on_video(info, where, videos[0],
                                      members[videos[0]])
        if not frames:
            raise FileNotFoundError(f'{where}: the sample has no frames')
        info['audio_path'] = f'{where}.{WAV_MEMBER}'
        info['audio_bytes'] = members.get(WAV_MEMBER)
        info['frame_bytes'] = frames
        return self.pipeline(info)

    def _run_on_video(self, info: Dict, where: str, member: str,
                      data: Buffer) -> dict:
        """The on-the-fly pipelines on a temporary copy of the video."""
        handle, path = tempfile.mkstemp(suffix=f'.{member}', dir=_TMP_DIR)
        try:
            with os.fdopen(handle, 'wb') as out:
                out.write(data)
            info['filename'] = path
            return self.pipeline(info)
        finally:
            os.remove(path)

    def describe_error(self, idx: int, err: Exception) -> Tuple[str, str]:
        """The datum's name (manifest, index, video id, shard and sample
        key) and the reason it failed."""
        info = self.get_data_info(idx)
        shard = self.store.location(info['shard'])
        datum = (f'{self.manifest_location}: datum {idx} '
                 f'({info["video_id"]}, {shard})')
        return datum, f'{datum}: {err}'
