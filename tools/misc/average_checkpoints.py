#!/usr/bin/env python
"""Average the weights of per-epoch checkpoints (the official "wa").

    python tools/misc/average_checkpoints.py WORK_DIR --start 1 --end 10 \
        --out work_dirs/ft/wa_1-10.pth
    python tools/misc/average_checkpoints.py --files a.pth b.pth --out avg.pth

The plain mean of ``epoch_{start}.pth`` ... ``epoch_{end}.pth`` (summed in
order, then divided, as the reference does), written as a cavmae_mm
checkpoint for ``tools/test.py``. Unlike MMEngine's EMA, which keeps an
exponential moving average during training, this averages the saved epoch
ends uniformly after training: the finetuning recipes keep every epoch's
checkpoint (CheckpointHook interval 1) so that this can run afterwards.
"""
import sys
from pathlib import Path
from typing import List

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.


def average_state_dicts(paths: List[Path]) -> dict:
    """Mean of the ``state_dict`` of each checkpoint (sum, then divide):
    name -> tensor."""
    import torch

    import cavmae_mm  # noqa: F401  (allow-lists MMEngine checkpoint contents)
    total = None
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f'{path}: checkpoint not found')
        state = torch.load(path, map_location='cpu', weights_only=True)
        state = state.get('state_dict', state)
        if total is None:
            total = {k: v.clone() for k, v in state.items()}
            continue
        if state.keys() != total.keys():
            diff = sorted(set(state) ^ set(total))[:5]
            raise ValueError(f'{path}: tensors differ from {paths[0]}: '
                             f'{diff}')
        for key, value in state.items():
            if value.is_floating_point():
                total[key] += value
            elif not torch.equal(total[key], value):
                raise ValueError(f'{path}: non-float tensor {key} differs '
                                 'between checkpoints')
    return {
        k: v / len(paths) if v.is_floating_point() else v
        for k, v in total.items()
    }


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'work_dir', nargs='?', type=Path, help='folder with epoch_{n}.pth')
    parser.add_argument('--start', type=int, help='first epoch (wa_start)')
    parser.add_argument('--end', type=int, help='last epoch (wa_end)')
    parser.add_argument(
        '--files',
        nargs='+',
        type=Path,
        help='explicit checkpoints instead of a range')
    parser.add_argument(
        '--out', type=Path, required=True, help='checkpoint to write')
    args = parser.parse_args(argv)
    if args.files:
        paths = args.files
    elif args.work_dir and args.start is not None and args.end is not None:
        if args.end < args.start:
            parser.error('--end is before --start')
        paths = [
            args.work_dir / f'epoch_{n}.pth'
            for n in range(args.start, args.end + 1)
        ]
    else:
        parser.error('give WORK_DIR with --start and --end, or --files')
    try:
        averaged = average_state_dicts(paths)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    import torch
    torch.save(
        dict(
            state_dict=averaged,
            meta=dict(averaged_from=[p.name for p in paths])), args.out)
    print(f'{args.out}: mean of {len(paths)} checkpoints')
    return 0


if __name__ == '__main__':
    sys.exit(main())
