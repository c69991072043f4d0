#!/usr/bin/env python
"""Fbank mean and std of a datalist (for datasets other than AudioSet).

    python tools/data/compute_norm_stats.py DATALIST LABEL_CSV \
        [--data-root DIR] [--target-length 1024]

Runs the evaluation audio path without normalisation (load, kaldi fbank,
pad/crop) over every clip and prints the mean over clips of each clip's mean
and of each clip's std, the way the reference's statistics were computed
(padding included). Put them in ``NormalizeFbank(mean=..., std=...)``.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('datalist', help='datalist JSON')
    parser.add_argument('label_csv', help='label CSV (index,mid,display_name)')
    parser.add_argument(
        '--data-root', default='', help='folder the relative paths start from')
    parser.add_argument(
        '--target-length',
        type=int,
        default=1024,
        help='fbank frames after padding/cropping')
    parser.add_argument(
        '--num-mel-bins', type=int, default=128, help='fbank mel bins')
    args = parser.parse_args(argv)
    import numpy as np
    from mmengine.utils import ProgressBar

    from cavmae_mm.datasets import AudioVisualDataset, DatumError
    pipeline = [
        dict(type='LoadAudio'),
        dict(type='KaldiFbank', num_mel_bins=args.num_mel_bins),
        dict(type='PadCropFbank', target_length=args.target_length)
    ]
    try:
        dataset = AudioVisualDataset(
            args.datalist,
            args.label_csv,
            data_root=args.data_root,
            pipeline=pipeline,
            test_mode=True)
        means, stds = [], []
        bar = ProgressBar(len(dataset))
        for idx in range(len(dataset)):
            fbank = dataset[idx]['audios']
            means.append(float(fbank.mean()))
            stds.append(float(fbank.std()))
            bar.update()
    except (DatumError, FileNotFoundError, ValueError) as err:
        print(f'\nerror: {err}', file=sys.stderr)
        return 1
    print(f'\n{len(means)} clips: mean={np.mean(means):.4f} '
          f'std={np.mean(stds):.4f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
