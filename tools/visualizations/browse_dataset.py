#!/usr/bin/env python
"""Draw samples of a config's dataset as the model gets them (one PNG each).

    python tools/visualizations/browse_dataset.py configs/cavmae-ft_as2m.py \\
        work_dirs/browse --phase train --show-number 8

Builds the dataset of ``{phase}_dataloader`` and runs its pipeline on the
first ``--show-number`` samples, so what is drawn is what the model is fed
(augmented, mixed, normalised): the fbank as an image (time across, mel
bins up, on the normalised scale) and the frame(s) the pipeline selected
(RGB as loaded, before the data preprocessor's normalisation). The title
names the video id and the labels: the classes of the target with their
weights (label smoothing and mixup make them fractional), or the class of a
single-label test target. Files: ``OUTPUT_DIR/{index:04d}_{video_id}.png``.

MMAction2's script of the same name draws videos of one image stream with
its ActionVisualizer, which fails on these audio-visual samples (``step
must be greater than zero``). Exit status: 0 every sample drawn, 1 the
config or dataset cannot be built or a sample cannot be read (the message
names the file and why; the other samples are still drawn), 2 wrong
arguments.
"""
import argparse
import re
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before matplotlib, torch and cavmae_mm are imported.

#: label weights above this share of the top weight are named
LABEL_SHARE = 0.05


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f'must be > 0, got {value}')
    return value


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument(
        'output_dir', type=Path, help='folder for the PNG files (created)')
    parser.add_argument(
        '--phase',
        '-p',
        default='train',
        choices=['train', 'val', 'test'],
        help='whose dataloader: {phase}_dataloader')
    parser.add_argument(
        '--show-number',
        '-n',
        type=positive_int,
        default=10,
        help='samples to draw (the first ones; all when the '
        'dataset is smaller)')
    cli_common.add_cfg_options(
        parser, 'override config entries (e.g. '
        'train_dataloader.dataset.dataset.data_root=/data)')
    return parser, parser.parse_args(argv)


def label_text(label, classes) -> str:
    """The classes of a target, with weights when they are not all 1."""
    import torch
    if label is None or label.numel() == 0:
        return 'no labels'
    if not label.is_floating_point():  # class indices
        return ', '.join(classes[i] if i < len(classes) else str(i)
                         for i in label.reshape(-1).tolist())
    label = label.reshape(-1).float()
    floor = label.min()
    top = label.max()
    if top <= floor:
        return 'no labels'
    picked = torch.nonzero(label - floor > LABEL_SHARE * (top - floor))
    picked = sorted(picked.reshape(-1).tolist(), key=lambda i: -label[i])
    names = [classes[i] if i < len(classes) else str(i) for i in picked]
    if all(abs(label[i] - 1.0) < 1e-6 for i in picked):
        return ', '.join(names)
    return ', '.join(f'{n} ({label[i]:.2f})'
                     for n, i in zip(names, picked, strict=True))


def frames_of(imgs):
    """[H, W, 3] uint8-ranged arrays of the frame tensor [N, 3, H, W]."""
    import numpy as np
    array = imgs.detach().cpu().numpy()
    if array.ndim == 3:
        array = array[None]
    array = array.reshape(-1, *array.shape[-3:])
    if array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(0, 2, 3, 1)
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        array = (array - low) / (high - low or 1.0)
    return list(array)


def draw(sample, classes, title_prefix: str, path: Path) -> None:
    """One figure: the fbank above, the frames below."""
    import matplotlib.pyplot as plt
    inputs = sample['inputs']
    data_sample = sample['data_samples']
    audio = inputs.get('audios')
    frames = frames_of(inputs['imgs']) if inputs.get('imgs') is not None \
        else []
    meta = data_sample.metainfo
    lam = meta.get('mix_lambda')
    # AudioVisualMixup(frames_on_device=True): the clip's and the partner's
    # uint8 frames, mixed later by the data preprocessor
    pair = lam is not None and len(frames) == 2 and \
        not inputs['imgs'].is_floating_point()
    titles = [f'clip x {lam:.2f}', f'partner x {1 - lam:.2f}'] if pair else \
        [f'frame {index}' for index in range(len(frames))]
    columns = max(len(frames), 1)
    width = max(8.0, 1.6 * columns)
    heights = ([3.0] if audio is not None else []) + \
        ([min(width / columns, 4.0)] if frames else [])
    fig = plt.figure(figsize=(width, sum(heights) + 1.2))
    grid = fig.add_gridspec(len(heights), columns, height_ratios=heights)
    row = 0
    if audio is not None:
        # one fbank, or (CAV-MAE Sync) the segments of the frames side by
        # side in frame order
        segments = audio.detach().float().cpu().reshape(
            -1, audio.shape[-2], audio.shape[-1])
        fbank = segments.reshape(-1, audio.shape[-1]).numpy()
        ax = fig.add_subplot(grid[row, :])
        image = ax.imshow(
            fbank.T,
            origin='lower',
            aspect='auto',
            cmap='magma',
            interpolation='nearest')
        fig.colorbar(image, ax=ax, pad=0.01)
        count, length = segments.shape[:2]
        for boundary in range(1, count):
            ax.axvline(boundary * length - 0.5, color='white', linewidth=0.8)
        ax.set_xlabel(f'fbank frame (10 ms), {length} frames' if count ==
                      1 else f'{count} segments of {length} fbank frames '
                      '(10 ms), one per frame below')
        ax.set_ylabel(f'mel bin ({fbank.shape[1]})')
        row += 1
    for index, frame in enumerate(frames):
        ax = fig.add_subplot(grid[row, index])
        ax.imshow(
            frame.squeeze(-1) if frame.shape[-1] == 1 else frame,
            cmap='gray' if frame.shape[-1] == 1 else None)
        ax.set_axis_off()
        ax.set_title(titles[index], fontsize=8)
    video_id = meta.get('video_id', '?')
    label = data_sample.get('gt_label')
    extra = f', mix lambda {lam:.2f}' if lam is not None else ''
    fig.suptitle(
        f'{title_prefix} {video_id}{extra}\n'
        f'labels: {label_text(label, classes)}',
        fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def file_name(index: int, video_id) -> str:
    safe = re.sub(r'[^A-Za-z0-9_.-]+', '_', str(video_id)).strip('._')
    return f'{index:04d}_{safe or "sample"}.png'


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    from mmengine.registry import init_default_scope

    from cavmae_mm.config import load_config
    from cavmae_mm.registry import DATASETS
    options = cli_common.cfg_options(args, parser)
    try:
        cfg = load_config(args.config, options)
        init_default_scope(cfg.get('default_scope', 'cavmae_mm'))
        loader = cfg.get(f'{args.phase}_dataloader')
        if not loader or not loader.get('dataset'):
            raise ValueError(f'{args.config} has no {args.phase}_dataloader '
                             'with a dataset')
        dataset = DATASETS.build(loader['dataset'])
        total = len(dataset)
    except (OSError, ValueError, KeyError, SyntaxError, ImportError) as err:
        print(
            f'error: cannot build the {args.phase} dataset of '
            f'{args.config}: {err}',
            file=sys.stderr)
        return 1
    classes = list(dataset.metainfo.get('classes') or ())
    args.output_dir.mkdir(parents=True, exist_ok=True)
    count = min(args.show_number, total)
    failed = 0
    for index in range(count):
        try:
            sample = dataset[index]
        # a datum that cannot be read (its error names the file and why)
        except Exception as err:  # noqa: BLE001
            failed += 1
            print(f'error: sample {index}: {err}', file=sys.stderr)
            continue
        video_id = sample['data_samples'].metainfo.get('video_id', index)
        path = args.output_dir / file_name(index, video_id)
        draw(sample, classes, f'{args.phase} sample {index}:', path)
        print(path)
    print(f'{count - failed} of {count} samples drawn ({total} in the '
          f'{args.phase} set) into {args.output_dir}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
