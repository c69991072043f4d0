#!/usr/bin/env python
"""Speed of a recipe's data pipeline (MMAction2's bench_processing.py).

    python tools/analysis_tools/bench_processing.py    # AS-20K, generated set
    python tools/analysis_tools/bench_processing.py \
        --config configs/cavmae-ft_as20k-videos.py
    python tools/analysis_tools/bench_processing.py --data-root DATA \
        --datalist train.json --workers 0 4 8 16

Runs the real dataset + transforms + collate path of a recipe (its train
and test pipelines): the CPU milliseconds of every transform per sample
(for the mixup wrapper: the wrapped pipeline, the mixing, then the
wrapper's pipeline) and MMEngine's data loader throughput for each
--workers count. Without --data-root a synthetic set of 10 s clips is
generated in a temporary folder (tools/data/make_synthetic.py and the
extraction tools), with an offline datalist and a datalist of the video
files; the one the recipe reads is used. Prints a table and writes --out
(JSON).
"""
import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.
ROOT = Path(__file__).resolve().parents[2]
#: The synthetic set's datalist of video files, and the loading steps that
#: mark a pipeline reading video files on the fly.
VIDEO_DATALIST = 'datalist_videos.json'
VIDEO_LOADERS = ('DecodeAudio', 'DecodeOfficialFrames', 'LoadAudioFromVideo')


def run_data_tool(name: str, *args) -> None:
    """Runs ``tools/data/{name}.py`` in its own process (no tool imports
    another)."""
    command = [
        sys.executable,
        str(ROOT / 'tools' / 'data' / f'{name}.py'), *map(str, args)
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f'{" ".join(command)} failed:\n{done.stderr}')


def synthetic_videos(folder: Path, classes: int, clips: int) -> None:
    """Synthetic 10 s clips of 256 px (tools/data/make_synthetic.py)."""
    run_data_tool('make_synthetic', folder,
                  '--num-classes', classes, '--per-class',
                  max(1, clips // classes), '--seconds', 10, '--size', 256)


def synthetic_set(folder: Path, clips: int) -> Path:
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


def print_table(report: Dict) -> None:
    for name, p in report['data']['pipelines'].items():
        print(f'\ndata, {name} pipeline: ms per sample and transform')
        for row in p['transforms_ms']:
            print(f'  {row["transform"]:<28} {row["ms"]:8.2f}')
        rates = ', '.join(f'{w} workers: {r:.1f}'
                          for w, r in p['samples_per_s'].items())
        print(f'  loader samples/s: {rates}')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[1],
        formatter_class=HelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[3:]))
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
        '--clips', type=int, default=16, help='clips of the synthetic set')
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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Each option's default in its help; the epilog as written."""


def main(argv=None) -> Dict:
    args = parse_args(argv)
    if not Path(args.config).is_file():
        args.config = str(ROOT / args.config)
    report = dict(data=benchmark_data(args))
    print_table(report)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f'\nwritten: {args.out}')
    return report


if __name__ == '__main__':
    main()
