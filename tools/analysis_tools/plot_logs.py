#!/usr/bin/env python
"""Plot a run's losses, contrastive accuracy, lr and metrics as PNG curves.

    python tools/analysis_tools/plot_logs.py WORK_DIR_OR_SCALARS_JSON [...] \
        --out curves.png [--keys loss_mae_a loss_c audioset/mAP] \
        [--x iter|epoch]

Reads the ``vis_data/scalars.json`` files that MMEngine's ``LocalVisBackend``
writes (every config here enables it). A work dir stands for all of its runs
in time order, so a resumed run is drawn as one curve (a later record of the
same step replaces an earlier one). Training records are drawn against the
iteration (or the epoch with ``--x epoch``), validation metrics against the
epoch. Several inputs are drawn on the same axes, labelled by their path.
Default keys: every ``loss*`` key, ``acc_c``, ``lr`` and every validation
metric.
"""
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: --help answers before matplotlib is
# imported (by plot()).

# keys MMEngine logs that are bookkeeping, not curves
BOOKKEEPING = {
    'epoch', 'iter', 'step', 'time', 'data_time', 'memory', 'base_lr'
}

Series = Dict[str, Dict[str, List[Tuple[float, float]]]]


def find_scalar_files(source: Path) -> List[Path]:
    """The scalars.json files of ``source`` (a file, or a work dir's runs in
    time order)."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise FileNotFoundError(f'{source}: no such file or work dir')
    files = sorted(source.glob('*/vis_data/scalars.json')) or sorted(
        source.glob('vis_data/scalars.json'))
    if not files:
        raise FileNotFoundError(
            f'{source}: no */vis_data/scalars.json here (is it a work dir '
            'written with LocalVisBackend?)')
    return files


def read_scalars(files: List[Path], x_axis: str = 'iter') -> Series:
    """Curves of a run: ``{'train': {key: [(x, y)]}, 'val': {...}}``.

    A training record has an ``iter``; a validation record only a ``step``
    (the epoch). A later record of the same x replaces an earlier one.
    """
    curves: Dict[str, Dict[str, Dict[float, float]]] = dict(train={}, val={})
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f'{path}, line {number}: not JSON '
                                 f'({error.msg})') from error
            phase = 'train' if 'iter' in record else 'val'
            x = record[x_axis] if phase == 'train' else record.get('step')
            if x is None:
                raise ValueError(f'{path}, line {number}: a record without '
                                 f'"{x_axis}" or "step"')
            for key, value in record.items():
                if key in BOOKKEEPING or not isinstance(value, (int, float)):
                    continue
                curves[phase].setdefault(key, {})[x] = float(value)
    return {
        phase: {
            key: sorted(points.items())
            for key, points in keys.items()
        }
        for phase, keys in curves.items()
    }


def default_keys(series: Series) -> List[str]:
    train = [
        k for k in series['train']
        if k.startswith('loss') or k in ('acc_c', 'lr')
    ]
    return train + list(series['val'])


def plot(runs: Dict[str, Series],
         keys: List[str],
         out: Path,
         x_axis: str = 'iter') -> Path:
    """One panel per key, one line per run; saved as ``out`` (PNG)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys, strict=True):
        for label, series in runs.items():
            phase = 'train' if key in series['train'] else 'val'
            points = series[phase].get(key)
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(
                    xs,
                    ys,
                    marker='o' if phase == 'val' else None,
                    markersize=3,
                    label=label)
        ax.set_ylabel(key)
        ax.set_xlabel(
            x_axis if key in next(iter(runs.values()))['train'] else 'epoch')
        ax.grid(alpha=0.3)
        if len(runs) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'sources',
        nargs='+',
        type=Path,
        help='work dirs or scalars.json files')
    parser.add_argument(
        '--out',
        type=Path,
        default=Path('curves.png'),
        help='PNG file to write')
    parser.add_argument(
        '--keys',
        nargs='+',
        help='keys to draw; none: '
        'every loss, acc_c, lr and validation metric')
    parser.add_argument(
        '--x',
        dest='x_axis',
        choices=('iter', 'epoch'),
        default='iter',
        help='x axis of training curves')
    args = parser.parse_args(argv)
    try:
        runs = {
            str(source): read_scalars(find_scalar_files(source), args.x_axis)
            for source in args.sources
        }
    except (FileNotFoundError, ValueError) as error:
        print(f'plot_logs: {error}', file=sys.stderr)
        return 1
    available = {
        key
        for series in runs.values()
        for phase in series.values()
        for key in phase
    }
    keys = args.keys or list(
        dict.fromkeys(key for series in runs.values()
                      for key in default_keys(series)))
    missing = [key for key in keys if key not in available]
    if missing or not keys:
        print(
            f'plot_logs: no such key(s) {missing} in the logs; available: '
            f'{sorted(available)}',
            file=sys.stderr)
        return 1
    out = plot(runs, keys, args.out, args.x_axis)
    print(f'{len(keys)} curves ({", ".join(keys)}) -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
