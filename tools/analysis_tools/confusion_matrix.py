#!/usr/bin/env python
"""Confusion matrix (single-label) or per-class AP (multi-label) of a test.

    python tools/test.py configs/cavmae-ft_vggsound.py ft.pth --dump res.pkl
    python tools/analysis_tools/confusion_matrix.py \\
        configs/cavmae-ft_vggsound.py res.pkl --show-path cm.png \\
        --include-values --out cm.csv

Reads the predictions that ``tools/test.py --dump`` saves (one dict per
clip: ``pred_score``, ``gt_label``, ``video_id``). MMAction2's script of the
same name and flags cannot run on these configs: it imports MMAction2's
models before it reads the config, so the config's ``custom_imports`` come
too late for cavmae_mm's fix of the ``mmaction.models.localizers.drn``
module that the PyPI wheel lacks (see ``cavmae_mm.utils.compat_mmaction``),
and its checkpoint mode runs MMAction2's own test loop. Test with
``tools/test.py --dump`` first, then run this.

Single-label data (VGGSound): prints the top-1 accuracy and, per class, the
clips, the correct ones, the accuracy and the class it is most often
mistaken for. ``--out`` saves the matrix (rows: true class, columns:
predicted class) as .csv (with class names), .npy or .pkl; ``--show`` and
``--show-path`` draw it.

Multi-label data (AudioSet): a confusion matrix is undefined there (a clip
has several true classes and no single predicted one). The tool says so and
prints each class's positives, average precision and ROC AUC (their means
over the scored classes are the test's mAP and mAUC); ``--out`` saves that
table as .csv, ``--show-path`` draws the per-class AP.

Class names come from ``--label-file``, else from the label CSV of the
config's test data, else are the class indices. Exit status: 0 done, 1 a
file cannot be read or does not fit (the message names it and why), 2 wrong
arguments.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before numpy, torch and cavmae_mm are imported.

MATRIX_SUFFIXES = ('.csv', '.npy', '.pkl')
CHECKPOINT_SUFFIXES = ('.pth', '.pt', '.ckpt')
#: classes above which the drawn matrix has no tick labels
MAX_TICK_LABELS = 60


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'config',
        help='config file or model-zoo name of the test '
        '(its test data gives the class names and whether '
        'the labels are multi-label)')
    parser.add_argument(
        'ckpt_or_result',
        help='predictions saved by tools/test.py --dump '
        '(.pkl); a checkpoint must be tested that way first')
    parser.add_argument(
        '--out',
        type=Path,
        help='save the confusion matrix (.csv, .npy or .pkl)'
        ' or, for multi-label data, the per-class table '
        '(.csv)')
    parser.add_argument(
        '--show',
        action='store_true',
        help='display the figure (needs a display)')
    parser.add_argument(
        '--show-path',
        type=Path,
        help='save the figure to this image file (.png, '
        '.pdf, ...)')
    parser.add_argument(
        '--include-values',
        action='store_true',
        help='write the counts into the matrix cells')
    parser.add_argument(
        '--label-file',
        type=Path,
        help='class names: a label CSV (index,mid,'
        "display_name) or one name per line; None: the "
        "config's test label CSV")
    parser.add_argument(
        '--target-classes',
        type=int,
        nargs='+',
        help='class indices to keep (at least 2): the matrix '
        'and the table are restricted to them')
    parser.add_argument(
        '--cmap',
        default='viridis',
        help='matplotlib colour map of the matrix')
    cli_common.add_cfg_options(
        parser, 'override config entries (e.g. '
        'test_dataloader.dataset.data_root=/data/vgg)')
    args = parser.parse_args(argv)
    if args.ckpt_or_result.endswith(CHECKPOINT_SUFFIXES):
        parser.error(f'{args.ckpt_or_result} is a checkpoint: test it first '
                     f'(python tools/test.py {args.config} '
                     f'{args.ckpt_or_result} --dump result.pkl) and give '
                     'result.pkl')
    if args.target_classes is not None and len(set(args.target_classes)) < 2:
        parser.error('--target-classes needs at least 2 distinct classes')
    if args.out is not None and args.out.suffix not in MATRIX_SUFFIXES:
        parser.error(f'--out must end with one of {", ".join(MATRIX_SUFFIXES)}'
                     f', got {args.out}')
    return parser, args


def class_names(args, cfg, num_classes: int):
    """Names of the classes, and a note when they are indices."""
    from cavmae_mm.evaluation.per_class import (config_test_labels,
                                                read_class_names)
    source = args.label_file
    if source is None:
        label_file = config_test_labels(cfg)['label_file']
        if label_file is None or not Path(label_file).is_file():
            why = 'has no label file' if label_file is None else \
                f'names {label_file}, which does not exist here'
            return [
                str(k) for k in range(num_classes)
            ], (f'note: the test data of {args.config} {why}: classes are '
                'shown by index (give --label-file for names)')
        source = Path(label_file)
    names = read_class_names(source)
    if len(names) != num_classes:
        raise ValueError(f'{source}: {len(names)} classes, but the '
                         f'predictions of {args.ckpt_or_result} score '
                         f'{num_classes}')
    return names, None


def fmt(value) -> str:
    return '-' if value is None or value != value else f'{value:.4f}'


def save_matrix(matrix, classes, out: Path) -> None:
    import csv
    import pickle

    import numpy as np
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == '.npy':
        np.save(out, matrix)
    elif out.suffix == '.pkl':
        with open(out, 'wb') as handle:
            pickle.dump(matrix, handle)
    else:
        with open(out, 'w', newline='', encoding='utf-8') as handle:
            writer = csv.writer(handle)
            writer.writerow(['true \\ predicted', *classes])
            for name, row in zip(classes, matrix, strict=True):
                writer.writerow([name, *map(int, row)])


def draw_matrix(matrix, classes, include_values: bool, cmap: str, title):
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator
    count = len(classes)
    side = min(max(4.0, 0.45 * count + 2.5), 40.0)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    image = ax.imshow(matrix, cmap=cmap, interpolation='nearest')
    fig.colorbar(
        image,
        ax=ax,
        fraction=0.046,
        pad=0.04,
        ticks=MaxNLocator(integer=True))
    if count <= MAX_TICK_LABELS:
        ax.set_xticks(
            np.arange(count),
            labels=classes,
            rotation=45,
            ha='right',
            rotation_mode='anchor')
        ax.set_yticks(np.arange(count), labels=classes)
    if include_values:
        colours = image.cmap(image.norm(matrix))
        for (row, col), value in np.ndenumerate(matrix):
            red, green, blue = colours[row, col, :3]
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
            ax.text(
                col,
                row,
                str(int(value)),
                ha='center',
                va='center',
                fontsize=8,
                color='black' if light else 'white')
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_ap(rows, title):
    import matplotlib.pyplot as plt
    scored = sorted((r for r in rows if r['ap'] == r['ap']),
                    key=lambda r: r['ap'])
    height = min(max(3.0, 0.22 * len(scored) + 1.5), 120.0)
    fig, ax = plt.subplots(figsize=(8, height))
    ax.barh([r['name'] for r in scored], [r['ap'] for r in scored])
    ax.set_xlim(0, 1)
    ax.set_xlabel('average precision')
    ax.set_title(title)
    ax.margins(y=0.01)
    fig.tight_layout()
    return fig


def single_label_report(args, predictions, classes, parser) -> list:
    """Prints the accuracy table; returns the figure to draw (or None)."""
    import numpy as np

    from cavmae_mm.evaluation import text_table
    from cavmae_mm.evaluation.per_class import (per_class_accuracy,
                                                predictions_confusion)
    matrix = predictions_confusion(predictions)
    rows = per_class_accuracy(matrix, classes)
    keep = list(range(len(classes)))
    if args.target_classes:
        keep = list(dict.fromkeys(args.target_classes))
        wrong = [k for k in keep if not 0 <= k < len(classes)]
        if wrong:
            parser.error(f'--target-classes {wrong} outside [0, '
                         f'{len(classes)})')
    accuracy = np.trace(matrix) / matrix.sum()
    print(f'{args.ckpt_or_result}: {matrix.sum()} clips, {len(classes)} '
          f'classes, single-label: top-1 accuracy {accuracy:.4f}')
    print(
        text_table([
            'index', 'class', 'clips', 'correct', 'accuracy',
            'most often predicted instead'
        ], [[
            str(r['index']), r['name'],
            str(r['samples']),
            str(r['correct']),
            fmt(r['accuracy']), f"{r['confused_with']} ({r['confused_count']})"
            if r['confused_with'] is not None else '-'
        ] for r in (rows[k] for k in keep)]))
    sub = matrix[np.ix_(keep, keep)]
    names = [classes[k] for k in keep]
    if args.out:
        save_matrix(sub, names, args.out)
        print(f'confusion matrix saved to {args.out}')
    if args.show or args.show_path:
        return draw_matrix(
            sub, names, args.include_values, args.cmap,
            f'confusion matrix: {matrix.sum()} clips, '
            f'top-1 accuracy {accuracy:.4f}')
    return None


def multi_label_report(args, predictions, classes, parser):
    """Prints the per-class AP table; returns the figure to draw (or
    None)."""
    import csv

    from cavmae_mm.evaluation import text_table
    from cavmae_mm.evaluation.per_class import nan_mean, per_class_ap
    if args.out is not None and args.out.suffix != '.csv':
        parser.error('multi-label data has no confusion matrix: --out '
                     'writes the per-class table, give a .csv')
    rows = per_class_ap(predictions, classes)
    if args.target_classes:
        wrong = [k for k in args.target_classes if not 0 <= k < len(classes)]
        if wrong:
            parser.error(f'--target-classes {wrong} outside [0, '
                         f'{len(classes)})')
        rows = [rows[k] for k in dict.fromkeys(args.target_classes)]
    scored = [r['ap'] for r in rows if r['ap'] == r['ap']]
    print(f'{args.ckpt_or_result}: {len(predictions.video_ids)} clips, '
          f'{predictions.num_classes} classes, multi-label: a confusion '
          'matrix is undefined for multi-label data (a clip has several true '
          'classes and no single predicted one); per-class average '
          'precision instead')
    print(f'mAP {fmt(nan_mean(scored))}, mAUC '
          f'{fmt(nan_mean([r["auc"] for r in rows]))} over {len(scored)} '
          f'of {len(rows)} classes (a class without positive clips cannot '
          'be scored)')
    print(
        text_table(['index', 'class', 'positives', 'AP', 'AUC'], [[
            str(r['index']), r['name'],
            str(r['positives']),
            fmt(r['ap']),
            fmt(r['auc'])
        ] for r in rows]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, 'w', newline='', encoding='utf-8') as handle:
            writer = csv.writer(handle)
            writer.writerow(['index', 'class', 'positives', 'ap', 'auc'])
            for r in rows:
                writer.writerow(
                    [r['index'], r['name'], r['positives'], r['ap'], r['auc']])
        print(f'per-class table saved to {args.out}')
    if args.include_values:
        print(
            'note: --include-values draws counts into a confusion matrix; '
            'multi-label data has none',
            file=sys.stderr)
    if args.show or args.show_path:
        return draw_ap(
            rows, f'per-class AP: {len(predictions.video_ids)} '
            f'clips, mAP {fmt(nan_mean(scored))}')
    return None


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    import matplotlib
    if not args.show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from cavmae_mm.config import load_config
    from cavmae_mm.evaluation.per_class import (as_single_label,
                                                config_test_labels,
                                                load_predictions)
    options = cli_common.cfg_options(args, parser)
    try:
        cfg = load_config(args.config, options)
        predictions = load_predictions(args.ckpt_or_result)
        if not predictions.single_label and \
                not config_test_labels(cfg)['multi_label']:
            predictions = as_single_label(predictions)
        classes, note = class_names(args, cfg, predictions.num_classes)
    except (OSError, ValueError, KeyError, SyntaxError, ImportError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    if note:
        print(note, file=sys.stderr)
    report = single_label_report if predictions.single_label else \
        multi_label_report
    fig = report(args, predictions, classes, parser)
    if fig is not None:
        if args.show_path:
            args.show_path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(args.show_path, dpi=100)
            print(f'figure saved to {args.show_path}')
        if args.show:
            plt.show()
        plt.close(fig)
    return 0


if __name__ == '__main__':
    sys.exit(main())
