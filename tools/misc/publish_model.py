#!/usr/bin/env python
"""Make a training checkpoint ready to publish (OpenMMLab's publish_model).

    python tools/misc/publish_model.py work_dirs/ft_as2m/best.pth \\
        cavmae-ft_as2m.pth
    # -> cavmae-ft_as2m-1a2b3c4d.pth (first 8 hex digits of its SHA-256)

Keeps ``state_dict`` and ``meta`` (``--save-keys``), drops the optimizer,
the message hub, the parameter schedulers and every other entry, saves,
and appends the first 8 hex digits of the saved file's SHA-256 to its name
(``OUT_FILE`` itself is not left behind). A bare state dict is published as
``state_dict``. The published file is checked to load with a plain
``torch.load(weights_only=True)``, so it needs neither cavmae_mm nor an
allow-list to be read.

MMAction2's script of the same name reads the checkpoint with torch's
default ``weights_only=True`` (torch >= 2.6) and no allow-list, so it fails
on MMEngine's message hub (``Unsupported global: ...HistoryBuffer``); this
one reads it through cavmae_mm's checkpoint reader, still weights-only, with
exactly MMEngine's message-hub classes allowed
(``cavmae_mm.utils.compat_torch_load``). Exit status: 0 published, 1 the
checkpoint cannot be read or published (the message names it and why), 2
wrong arguments.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'in_file',
        type=Path,
        help='checkpoint to publish (e.g. a runner '
        "checkpoint of a work dir)")
    parser.add_argument(
        'out_file',
        type=Path,
        help='name of the published file; the hash is '
        'appended before .pth')
    parser.add_argument(
        '--save-keys',
        nargs='+',
        default=['meta', 'state_dict'],
        help='checkpoint entries to keep')
    args = parser.parse_args(argv)
    if 'state_dict' not in args.save_keys:
        parser.error('--save-keys must keep state_dict (the weights)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from cavmae_mm.checkpoint import CheckpointError, publish_checkpoint
    try:
        published = publish_checkpoint(args.in_file, args.out_file,
                                       args.save_keys)
    except (FileNotFoundError, CheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except OSError as err:
        print(f'error: cannot write {args.out_file}: {err}', file=sys.stderr)
        return 1
    dropped = ', '.join(published.dropped) or 'nothing'
    print(f'{args.in_file}: kept {", ".join(published.kept)}; dropped '
          f'{dropped}')
    print(f'published {published.path} (sha256 {published.sha256})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
