#!/usr/bin/env python
"""Write the class-balancing weight file of a datalist (reference rule).

    python tools/data/gen_sample_weights.py data.json labels.csv \
        data_weight.csv

Counts the clips of each class, gives each class the weight
1000 / (count + 0.01), and each clip the sum of its classes' weights; writes
one weight per line, in datalist order (for ``BalancedSampler``).
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before numpy and cavmae_mm (torch) are imported.


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('datalist', help='datalist JSON')
    parser.add_argument('label_csv', help='label CSV (index,mid,display_name)')
    parser.add_argument('out', help='weight CSV to write')
    args = parser.parse_args(argv)
    import numpy as np

    from cavmae_mm.datasets import AudioVisualDataset, compute_sample_weights
    try:
        dataset = AudioVisualDataset(
            args.datalist, args.label_csv, lazy_init=False)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    indices = [
        dataset.get_data_info(i)['label_indices'] for i in range(len(dataset))
    ]
    weights = compute_sample_weights(indices, dataset.metainfo['num_classes'])
    np.savetxt(args.out, weights, delimiter=',')
    print(f'{args.out}: {len(weights)} weights (min {weights.min():.3f}, '
          f'max {weights.max():.3f})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
