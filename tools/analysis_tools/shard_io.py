"""Files vs shards: what reading a training sample costs (a helper module
of ``bench_processing.py --shards``, not a tool: it has no command line).

A generated set of extracted clips (a 10 s wav and ten 224 px JPEG frames
each, as the official extraction writes them) is packed into shards with
``tools/data/pack_shards.py``; then each data source (the files, the
shards in a local folder, the shards over HTTP from a local server) runs a
recipe's training dataset in its sampler's order, one process, one thread,
with a cold page cache (the set's pages evicted with
``posix_fadvise(DONTNEED)``; for HTTP an empty shard cache) and warm
(every file of the set and of the shard cache read once before). For
each: wall and CPU milliseconds per sample, bytes read from storage
(``/proc/self/io`` ``read_bytes``) and through read calls (``rchar``) per
sample, and, under ``strace`` when it is installed, the data files opened
per 1,000 samples.
"""
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
NUM_FRAMES = 10
#: What counts as a data file opened (not the datalist, manifest or CSV).
DATA_FILES = ('.wav', '.jpg', '.tar')
CLASSES = 10


class LocalServer:
    """A real HTTP server on a free local port serving ``root``, in a
    thread; ``requests`` lists the paths asked for."""

    def __init__(self, root: Path) -> None:
        self.requests: List[str] = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):

            def log_message(self, *args) -> None:
                requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), functools.partial(Handler, directory=str(root)))
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_realistic_set(folder: Path, clips: int, seed: int = 0) -> Path:
    """``clips`` extracted clips as the official tools write them: a 10 s
    16 kHz mono int16 wav and frames ``frame_{0..9}/{id}.jpg`` of 398 x 224
    (a 16:9 video's short side resized to 224); ``datalist.json`` and a
    label CSV of ``CLASSES`` classes."""
    import numpy as np
    import soundfile
    from PIL import Image
    rng = np.random.default_rng(seed)
    (folder / 'audio').mkdir(parents=True, exist_ok=True)
    # a handful of distinct contents, written under every clip's names
    waves = []
    for k in range(4):
        t = np.arange(160000) / 16000
        wave = 0.2 * np.sin(2 * np.pi * (200 + 150 * k) * t) + \
            0.05 * rng.standard_normal(t.shape)
        waves.append(wave.astype(np.float32))
    frames = []
    for k in range(NUM_FRAMES):
        coarse = rng.integers(0, 256, (14, 25, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((398, 224), Image.BICUBIC)
        pixels = np.asarray(image).astype(np.int16) + rng.integers(
            -12, 12, (224, 398, 3))
        frames.append(
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    entries = []
    for i in range(clips):
        vid = f'clip{i:06d}'
        soundfile.write(
            folder / 'audio' / f'{vid}.wav',
            waves[i % 4],
            16000,
            subtype='PCM_16')
        for k in range(NUM_FRAMES):
            out = folder / 'frames' / f'frame_{k}'
            out.mkdir(parents=True, exist_ok=True)
            frames[(k + i) % NUM_FRAMES].save(out / f'{vid}.jpg', quality=90)
        entries.append(
            dict(
                video_id=vid,
                wav=f'audio/{vid}.wav',
                video_path='frames',
                labels=f'/bench/c{int(rng.integers(CLASSES))}'))
    (folder / 'datalist.json').write_text(json.dumps(dict(data=entries)))
    rows = ''.join(f'{c},/bench/c{c},class {c}\n' for c in range(CLASSES))
    (folder / 'labels.csv').write_text(f'index,mid,display_name\n{rows}')
    return folder


def pack(folder: Path, samples_per_shard: int, workers: int) -> Path:
    """Packs ``folder/datalist.json`` into ``folder/shards``."""
    from data_tools import run_data_tool
    run_data_tool('pack_shards', folder / 'datalist.json', folder / 'shards',
                  '--data-root', folder, '--samples-per-shard',
                  samples_per_shard, '--workers', workers)
    return folder / 'shards' / 'manifest.json'


def evict(folder: Path) -> None:
    """Drops the page-cache pages of every file under ``folder``."""
    os.sync()
    for path in folder.rglob('*'):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def load_into_cache(folders: List[Path]) -> None:
    """Reads every file under ``folders`` once (a warm page cache)."""
    for folder in folders:
        for path in Path(folder).rglob('*'):
            if path.is_file():
                with open(path, 'rb') as handle:
                    while handle.read(1 << 22):
                        pass


def proc_io() -> Dict[str, int]:
    """This process's I/O counters (``/proc/self/io``)."""
    text = Path('/proc/self/io').read_text()
    return {k: int(v) for k, v in re.findall(r'(\w+): (\d+)', text)}


def build_dataset(spec: Dict):
    """The training dataset of ``spec['config']`` on the generated set,
    from its files or its shards (``spec['source']``: a manifest path or
    URL, or None for the files), and its sampler's order."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import cavmae_mm  # noqa: F401  (registers)
    from cavmae_mm.registry import DATA_SAMPLERS, DATASETS
    init_default_scope('cavmae_mm')
    cfg = Config.fromfile(spec['config'])
    dataset_cfg = cfg.train_dataloader.dataset
    inner = dataset_cfg.get('dataset', dataset_cfg)
    folder = Path(spec['folder'])
    inner.update(label_file=str(folder / 'labels.csv'))
    if spec['source'] is None:
        inner.update(data_root=str(folder), ann_file='datalist.json')
        sampler_cfg = dict(type='DefaultSampler', shuffle=True, seed=0)
    else:
        inner.update(
            type='ShardedAudioVisualDataset',
            data_root='',
            ann_file=spec['source'],
            cache_dir=spec.get('cache_dir'))
        sampler_cfg = dict(type='ShardAwareSampler', window=8, seed=0)
    dataset = DATASETS.build(dataset_cfg)
    sampler = DATA_SAMPLERS.build(
        sampler_cfg, default_args=dict(dataset=dataset))
    return dataset, list(sampler)


def read_samples(spec: Dict) -> Dict[str, float]:
    """Reads ``spec['samples']`` training samples in one thread."""
    import torch
    torch.set_num_threads(1)
    dataset, order = build_dataset(spec)
    order = order[:spec['samples']]
    dataset[order[0]]  # imports and the first shard's open are start-up
    before, wall, cpu = proc_io(), time.perf_counter(), time.process_time()
    for index in order[1:]:
        dataset[index]
    count = len(order) - 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = proc_io()
    return dict(
        ms_per_sample=1000 * wall / count,
        cpu_ms_per_sample=1000 * cpu / count,
        storage_kb_per_sample=(after['read_bytes'] - before['read_bytes']) /
        1024 / count,
        read_kb_per_sample=(after['rchar'] - before['rchar']) / 1024 / count)


def child(specs_json: str) -> None:
    """Entry of the process that ``count_opens`` traces: reads each spec's
    samples, after trying to open a marker that names the spec."""
    for number, spec in enumerate(json.loads(specs_json)):
        dataset, order = build_dataset(spec)
        try:
            open(f'{spec["folder"]}/MARK{number}', 'rb').close()
        except FileNotFoundError:
            pass  # only the attempt is wanted, in strace's log
        for index in order[:spec['samples']]:
            dataset[index]


def count_opens(specs: List[Dict],
                data_dirs: List[Path]) -> List[Optional[float]]:
    """Data files (wavs, frames, shards) opened per 1,000 samples by each
    spec's dataset, counted by ``strace`` in one child process (None when
    strace is not installed)."""
    from shutil import which
    if which('strace') is None:
        return [None] * len(specs)
    log = Path(specs[0]['folder']) / 'strace.log'
    code = ('import sys; sys.path.insert(0, {!r}); import shard_io; '
            'shard_io.child({!r})').format(str(HERE), json.dumps(specs))
    subprocess.run([
        'strace', '-f', '-qq', '-e', 'trace=open,openat', '-o',
        str(log), sys.executable, '-c', code
    ],
                   check=True,
                   capture_output=True)
    prefixes = tuple(str(d) for d in data_dirs)
    opened = [0] * len(specs)
    current = None
    for line in log.read_text(errors='replace').splitlines():
        match = re.search(r'open(?:at)?\(.*?"([^"]+)".*\)\s+=\s+(-?\d+)', line)
        if not match:
            continue
        marker = re.search(r'/MARK(\d+)$', match.group(1))
        if marker:
            current = int(marker.group(1))
        elif current is not None and int(match.group(2)) >= 0 and \
                match.group(1).startswith(prefixes) and \
                match.group(1).endswith(DATA_FILES):
            opened[current] += 1
    log.unlink()
    return [1000 * n / spec['samples'] for n, spec in zip(opened, specs)]


def official_dataset(repo: Path, folder: Path):
    """The official loader (``src/dataloader.py`` of a checkout of
    YuanGongND/cav-mae) with its pretraining settings on the generated set.
    Its ``torchaudio.load`` (which needs torchcodec under torchaudio 2.11)
    is replaced by the equivalent soundfile read."""
    import contextlib
    import importlib.util
    import io

    import soundfile
    import torch
    import torchaudio

    def load(path):
        data, rate = soundfile.read(path, dtype='float32', always_2d=True)
        return torch.from_numpy(data.T.copy()), rate

    torchaudio.load = load
    spec = importlib.util.spec_from_file_location(
        'official_dataloader', repo / 'src' / 'dataloader.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    datalist = json.loads((folder / 'datalist.json').read_text())
    for entry in datalist['data']:  # absolute paths, as its lists hold
        entry['wav'] = str(folder / entry['wav'])
        entry['video_path'] = str(folder / entry['video_path'])
    absolute = folder / 'datalist_absolute.json'
    absolute.write_text(json.dumps(datalist))
    conf = dict(
        num_mel_bins=128,
        target_length=1024,
        freqm=0,
        timem=0,
        mixup=0.0,
        dataset='audioset',
        mode='train',
        mean=-5.081,
        std=4.4849,
        noise=True,
        label_smooth=0,
        im_res=224)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints settings
        return module.AudiosetDataset(
            str(absolute), conf, label_csv=str(folder / 'labels.csv'))


def side_by_side(ours, theirs, order: List[int]) -> Dict[str, float]:
    """Milliseconds per sample of two datasets read alternately, sample by
    sample (the same load on both), one thread, warm cache."""
    import statistics

    import torch
    torch.set_num_threads(1)
    times: Dict[str, List[float]] = dict(ours=[], official=[])
    ours[order[0]], theirs[order[0]]
    for index in order[1:]:
        for name, dataset in (('ours', ours), ('official', theirs)):
            started = time.perf_counter()
            dataset[index]
            times[name].append(1000 * (time.perf_counter() - started))
    return {
        f'{name}_{stat}_ms': getattr(statistics, stat)(values)
        for name, values in times.items()
        for stat in ('median', 'mean')
    }
