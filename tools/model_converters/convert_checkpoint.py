#!/usr/bin/env python
"""Convert a released CAV-MAE checkpoint to cavmae_mm's format, or back.

    python tools/model_converters/convert_checkpoint.py audio_model.21.pth \
        cavmae_scale++.pth
    python tools/model_converters/convert_checkpoint.py --reverse ours.pth \
        official.pth

Forward: reads an official checkpoint (pretrained or finetuned; with or
without the ``module.`` prefix), detects which, renames every tensor, checks
the result against a model of the sizes the tensors imply (reporting missing
and unexpected keys) and writes ``{'meta': ..., 'state_dict': ...}`` for
``init_model``, ``load_from`` or ``tools/test.py``. ``--reverse`` writes a raw
official state dict (``module.`` prefixed unless ``--no-module-prefix``).
Files are read with ``torch.load(weights_only=True)``. Exits 1 with a
one-line reason when the file is not a checkpoint or does not match.
"""
import argparse
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.


def parse_args(argv=None) -> argparse.Namespace:
    parser = cli_common.make_parser(
        __doc__, 'Convert official CAV-MAE checkpoints to cavmae_mm '
        '(or back with --reverse).')
    parser.add_argument('src', type=Path, help='checkpoint to read')
    parser.add_argument('dst', type=Path, help='file to write')
    parser.add_argument(
        '--reverse', action='store_true', help='cavmae_mm -> official layout')
    parser.add_argument(
        '--no-module-prefix',
        action='store_true',
        help="with --reverse: omit the 'module.' prefix")
    return parser.parse_args(argv)


class ConversionError(Exception):
    """Stops the conversion with a one-line reason."""


def load_tensors(path: Path, key: str = 'state_dict') -> dict:
    """The named tensors of a checkpoint (under ``key`` if present), or
    raises ConversionError with a one-line reason."""
    from cavmae_mm.checkpoint import CheckpointError
    from cavmae_mm.checkpoint import load_tensors as read_tensors
    try:
        return read_tensors(path, key)
    except (FileNotFoundError, CheckpointError) as err:
        raise ConversionError(str(err)) from err


def check_against_model(path: Path, state: dict, kind: str) -> dict:
    from cavmae_mm.checkpoint import compare_to_model, infer_model_config
    model_cfg = infer_model_config(state, kind)
    missing, unexpected = compare_to_model(state, model_cfg)
    if missing or unexpected:
        raise ConversionError(
            f'{path}: does not match a CAV-MAE {kind} model: '
            f'{len(missing)} missing {missing[:5]}, {len(unexpected)} '
            f'unexpected {unexpected[:5]}')
    return model_cfg


def convert(src: Path,
            dst: Path,
            reverse: bool = False,
            module_prefix: bool = True) -> str:
    """Converts one file; returns a summary line."""
    import torch

    from cavmae_mm.checkpoint import (CheckpointMismatch, mm_to_official,
                                      official_to_mm)
    state = load_tensors(src)
    try:
        if reverse:
            if not all(
                    k.startswith(('backbone.', 'neck.', 'cls_head.'))
                    for k in state):
                raise CheckpointMismatch('keys are not in cavmae_mm layout '
                                         '(backbone./neck./cls_head.)')
            kind = 'finetune' if any(k.startswith('cls_head.')
                                     for k in state) else 'pretrain'
            check_against_model(src, state, kind)
            out = mm_to_official(state, module_prefix=module_prefix)
            torch.save(out, dst)
            return (f'{src} -> {dst}: {len(out)} tensors, official {kind} '
                    'layout')
        converted, kind, dropped = official_to_mm(state)
        model_cfg = check_against_model(src, converted, kind)
    except CheckpointMismatch as err:
        raise ConversionError(f'{src}: {err}') from err
    torch.save(
        dict(
            meta=dict(
                converted_from=src.name,
                kind=kind,
                model=model_cfg,
                dropped_keys=dropped),
            state_dict=converted), dst)
    note = f'; dropped unused {dropped}' if dropped else ''
    return (f'{src} -> {dst}: {len(converted)} tensors, {kind} model '
            f'({model_cfg["type"]}), 0 missing, 0 unexpected{note}')


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        summary = convert(args.src, args.dst, args.reverse,
                          not args.no_module_prefix)
    except ConversionError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == '__main__':
    sys.exit(main())
