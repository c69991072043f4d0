#!/usr/bin/env python
"""Speed of a recipe's data pipeline (MMAction2's bench_processing.py).

    python tools/analysis_tools/bench_processing.py    # AS-20K, generated set
    python tools/analysis_tools/bench_processing.py \
        --config configs/cavmae-ft_as20k-videos.py
    python tools/analysis_tools/bench_processing.py --data-root DATA \
        --datalist train.json --workers 0 4 8 16

    python tools/analysis_tools/bench_processing.py --shards [--clips 2000]
        [--official-repo path/to/cav-mae]     # files vs shards (I/O)

Runs the real dataset + transforms + collate path of a recipe (its train
and test pipelines): the CPU milliseconds of every transform per sample
(for the mixup wrapper: the wrapped pipeline, the mixing, then the
wrapper's pipeline) and MMEngine's data loader throughput for each
--workers count. Without --data-root a synthetic set of 10 s clips is
generated in a temporary folder (tools/data/make_synthetic.py and the
extraction tools), with an offline datalist and a datalist of the video
files; the one the recipe reads is used. Prints a table and writes --out
(JSON).

With --shards it compares the data sources instead (see shard_io.py in
this folder): a generated set of --clips extracted clips (10 s wav, ten
224 px JPEG frames), packed into shards, read by the training dataset of
the CPU-fbank recipe (cavmae-ft_as20k.py) and the device-fbank recipe
(cavmae-ft_as20k-gpufbank.py) from the files, the local shards and the
shards over HTTP from a local server, cold and warm: ms and CPU ms per
sample (one thread), storage and read bytes per sample, data files opened
per 1,000 samples (strace). With --official-repo (a checkout of
YuanGongND/cav-mae) the official pretraining loader and the pretraining
recipe's are timed side by side on the same files.
"""
import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.
ROOT = Path(__file__).resolve().parents[2]
#: The synthetic set's datalist of video files, and the loading steps that
#: mark a pipeline reading video files on the fly.
VIDEO_DATALIST = 'datalist_videos.json'
VIDEO_LOADERS = ('DecodeAudio', 'DecodeOfficialFrames', 'LoadAudioFromVideo')


def synthetic_set(folder: Path, clips: int) -> Path:
    from data_tools import run_data_tool, synthetic_videos
    synthetic_videos(folder, 4, clips)
    run_data_tool('extract_audio', folder / 'videos', folder / 'audio')
    run_data_tool('extract_frames', folder / 'videos', folder / 'frames')
    # the same clips as video files, for the recipes that read them on the
    # fly (what build_datalist.py --video-dir writes)
    offline = json.loads((folder / 'datalist.json').read_text())['data']
    videos = [
        dict(
            video_id=d['video_id'],
            labels=d['labels'],
            video_path=f'videos/{d["video_id"]}.mp4') for d in offline
    ]
    (folder / VIDEO_DATALIST).write_text(json.dumps(dict(data=videos)))
    return folder


def reads_video_files(cfg) -> bool:
    """Whether the config's training pipeline decodes video files."""
    dataset = cfg.train_dataloader.dataset
    inner = dataset.get('dataset', dataset)
    return any(step['type'] in VIDEO_LOADERS for step in inner.pipeline)


def data_cfg(args, root: Path):
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if not args.data_root:
        args.datalist = VIDEO_DATALIST if reads_video_files(cfg) else \
            'datalist.json'
    for name in ('train_dataloader', 'test_dataloader'):
        loader = cfg[name]
        dataset = loader.dataset
        inner = dataset.get('dataset', dataset)  # the mixup wrapper's
        inner.update(
            data_root=str(root),
            ann_file=args.datalist,
            label_file=args.label_file)
        if loader.sampler.type != 'DefaultSampler':
            loader.sampler = dict(type='DefaultSampler', shuffle=True)
        # a small set may hold less than one full training batch
        loader.drop_last = False
    return cfg


def transform_costs(dataset, samples: int) -> List[Dict]:
    """Mean CPU milliseconds per sample of each transform (for a mixup
    wrapper: the wrapped pipeline, then the wrapper's, whose mixing step is
    given a partner on every sample, so its cost is an upper bound for a
    mixup probability below 1)."""
    wrapper = dataset if hasattr(dataset, 'dataset') else None
    inner = wrapper.dataset if wrapper is not None else dataset
    totals: Dict[str, float] = {}

    def timed(name, function, *inputs):
        started = time.perf_counter()
        output = function(*inputs)
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - started
        return output

    def load(index):
        results = inner.get_data_info(index % len(inner))
        for transform in inner.pipeline.transforms:
            results = timed(type(transform).__name__, transform, results)
        return results

    for index in range(samples):
        results = load(index)
        if wrapper is not None:
            for transform in wrapper.pipeline.transforms:
                if hasattr(transform, 'get_indexes'):
                    results['mix_results'] = [inner[(index + 1) % len(inner)]]
                results = timed(f'mixup: {type(transform).__name__}',
                                transform, results)
    return [
        dict(transform=name, ms=1000 * total / samples)
        for name, total in totals.items()
    ]


def loader_rate(loader_cfg, workers: int, batches: int) -> float:
    from mmengine.runner import Runner
    cfg = copy.deepcopy(loader_cfg)
    cfg.update(num_workers=workers, persistent_workers=workers > 0)
    loader = Runner.build_dataloader(cfg, seed=0)
    iterator = iter(loader)
    next(iterator)  # worker start-up is not the steady state
    started, count = time.perf_counter(), 0
    for _ in range(batches):
        try:
            batch = next(iterator)
        except StopIteration:
            iterator = iter(loader)
            batch = next(iterator)
        count += len(batch['inputs'])
    return count / (time.perf_counter() - started)


def benchmark_data(args) -> Dict:
    from mmengine.registry import init_default_scope

    import cavmae_mm  # noqa: F401  (registers)
    from cavmae_mm.registry import DATASETS
    init_default_scope('cavmae_mm')
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.data_root) if args.data_root else \
            synthetic_set(Path(tmp), args.clips)
        if not args.data_root:
            args.label_file = 'labels.csv'
        cfg = data_cfg(args, root)
        out = dict(config=args.config, data_root=str(root), pipelines={})
        for name in ('train', 'test'):
            loader_cfg = cfg[f'{name}_dataloader']
            dataset = DATASETS.build(loader_cfg.dataset)
            print(f'data: {name} pipeline ...', flush=True)
            out['pipelines'][name] = dict(
                transforms_ms=transform_costs(dataset, args.samples),
                samples_per_s={
                    str(w): loader_rate(loader_cfg, w, args.batches)
                    for w in args.workers
                })
    return out


RECIPES = {
    'CPU fbank': 'configs/cavmae-ft_as20k.py',
    'device fbank': 'configs/cavmae-ft_as20k-gpufbank.py',
}


def folder_bytes(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern) if p.is_file())


def benchmark_shards(args) -> Dict:
    """Files vs shards, local and over HTTP, cold and warm."""
    import shard_io
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        folder = Path(tmp) / 'set'
        print(f'shards: writing {args.clips} clips ...', flush=True)
        shard_io.write_realistic_set(folder, args.clips)
        print('shards: packing ...', flush=True)
        manifest = shard_io.pack(folder, args.samples_per_shard,
                                 max(args.workers + [1]))
        clip_bytes = (folder_bytes(folder, 'audio/*.wav') +
                      folder_bytes(folder, 'frames/*/*.jpg')) / args.clips
        shard_bytes = folder_bytes(folder, 'shards/*.tar') / args.clips
        server = shard_io.LocalServer(folder)
        sources = {
            'files': None,
            'shards': str(manifest),
            'shards over HTTP': f'{server.url}/shards/manifest.json'
        }
        rows, traced = [], []
        try:
            for recipe, config in RECIPES.items():
                for source, location in sources.items():
                    cache = Path(tmp) / f'cache-{len(rows)}'
                    spec = dict(
                        config=str(ROOT / config),
                        folder=str(folder),
                        source=location,
                        cache_dir=str(cache),
                        samples=args.io_samples)
                    for state in ('cold', 'warm'):
                        if state == 'cold':
                            shard_io.evict(folder)
                        else:
                            shard_io.load_into_cache([folder, cache])
                        print(
                            f'shards: {recipe}, {source}, {state} ...',
                            flush=True)
                        rows.append(
                            dict(
                                recipe=recipe,
                                source=source,
                                cache=state,
                                **shard_io.read_samples(spec)))
                    if recipe == 'CPU fbank':  # the same reads in both
                        traced.append((rows[-1], spec))
            counts = shard_io.count_opens(
                [spec for _, spec in traced],
                [folder] + [Path(spec['cache_dir']) for _, spec in traced])
            for (row, _), count in zip(traced, counts):
                row['opens_per_1000'] = count
        finally:
            server.close()
        out = dict(
            clips=args.clips,
            samples_per_shard=args.samples_per_shard,
            samples_read=args.io_samples,
            clip_bytes_files=clip_bytes,
            clip_bytes_shards=shard_bytes,
            rows=rows)
        if args.official_repo:
            out['official_loader'] = official_side_by_side(
                args, shard_io, folder)
    return out


def official_side_by_side(args, shard_io, folder: Path) -> Dict:
    """Ours (the pretraining recipe, CPU fbank) and the official loader on
    the same files, alternating sample by sample, warm cache."""
    spec = dict(
        config=str(ROOT / 'configs/cavmae_as2m.py'),
        folder=str(folder),
        source=None,
        samples=args.io_samples)
    ours, order = shard_io.build_dataset(spec)
    theirs = shard_io.official_dataset(Path(args.official_repo), folder)
    return shard_io.side_by_side(ours, theirs, order[:args.io_samples])


def print_shards_table(report: Dict) -> None:
    print(f'\n{report["clips"]} clips, {report["samples_read"]} read per '
          f'row; {report["clip_bytes_files"] / 1024:.0f} KiB per clip as '
          f'files, {report["clip_bytes_shards"] / 1024:.0f} KiB in shards '
          f'of {report["samples_per_shard"]}')
    print(f'{"recipe":<13}{"source":<18}{"cache":<6}{"ms":>7}{"cpu ms":>8}'
          f'{"storage KiB":>13}{"read KiB":>10}{"opens/1000":>11}')
    for row in report['rows']:
        opens = row.get('opens_per_1000')
        print(f'{row["recipe"]:<13}{row["source"]:<18}{row["cache"]:<6}'
              f'{row["ms_per_sample"]:7.2f}{row["cpu_ms_per_sample"]:8.2f}'
              f'{row["storage_kb_per_sample"]:13.1f}'
              f'{row["read_kb_per_sample"]:10.1f}' +
              (f'{opens:11.1f}' if opens is not None else ''))
    official = report.get('official_loader')
    if official:
        print('pretraining loader, ms per sample (median / mean): ours '
              f'{official["ours_median_ms"]:.2f} / '
              f'{official["ours_mean_ms"]:.2f}, official '
              f'{official["official_median_ms"]:.2f} / '
              f'{official["official_mean_ms"]:.2f}')


def print_table(report: Dict) -> None:
    for name, p in report['data']['pipelines'].items():
        print(f'\ndata, {name} pipeline: ms per sample and transform')
        for row in p['transforms_ms']:
            print(f'  {row["transform"]:<28} {row["ms"]:8.2f}')
        rates = ', '.join(f'{w} workers: {r:.1f}'
                          for w, r in p['samples_per_s'].items())
        print(f'  loader samples/s: {rates}')


def parse_args(argv=None) -> argparse.Namespace:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        '--config',
        default='configs/cavmae-ft_as20k.py',
        help='recipe whose train and test pipelines run')
    parser.add_argument(
        '--data-root',
        help='data folder; none: a synthetic set of 10 s '
        'clips in a temporary folder')
    parser.add_argument(
        '--datalist',
        default='datalist.json',
        help='datalist under --data-root (the synthetic '
        'set has its offline and its video-file datalist; '
        'the one the config reads is used)')
    parser.add_argument(
        '--label-file',
        default='labels.csv',
        help='label CSV under --data-root')
    parser.add_argument(
        '--clips',
        type=int,
        help='clips of the synthetic set (default 16; with --shards 2000)')
    parser.add_argument(
        '--shards',
        action='store_true',
        help='compare files and shards (I/O) instead')
    parser.add_argument(
        '--io-samples',
        type=int,
        default=400,
        help='with --shards: samples read per measurement')
    parser.add_argument(
        '--samples-per-shard',
        type=int,
        help='with --shards: clips per shard of the generated set (default '
        '--io-samples / 8: the samples read are one window of 8 shards, as '
        'an epoch reads them)')
    parser.add_argument(
        '--official-repo',
        help='with --shards: a checkout of YuanGongND/cav-mae, whose '
        'loader is timed beside ours')
    parser.add_argument(
        '--tmp-dir',
        help='where the generated sets go (default: the system temporary '
        'folder)')
    parser.add_argument(
        '--samples',
        type=int,
        default=8,
        help='samples for the per-transform costs')
    parser.add_argument(
        '--batches',
        type=int,
        default=4,
        help='batches per loader measurement')
    parser.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[0, 2],
        help='loader worker counts to measure')
    parser.add_argument(
        '--out', default='bench_processing.json', help='JSON report')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    if not Path(args.config).is_file():
        args.config = str(ROOT / args.config)
    if args.official_repo and not (Path(args.official_repo) / 'src' /
                                   'dataloader.py').is_file():
        raise SystemExit(f'{args.official_repo}: no src/dataloader.py (a '
                         'checkout of YuanGongND/cav-mae expected)')
    if args.clips is None:
        args.clips = 2000 if args.shards else 16
    if args.samples_per_shard is None:
        args.samples_per_shard = max(1, args.io_samples // 8)
    if args.shards:
        report = dict(shards=benchmark_shards(args))
        print_shards_table(report['shards'])
        Path(args.out).write_text(json.dumps(report, indent=1))
        print(f'\nwritten: {args.out}')
        return report
    report = dict(data=benchmark_data(args))
    print_table(report)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f'\nwritten: {args.out}')
    return report


if __name__ == '__main__':
    main()
