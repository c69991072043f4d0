#!/usr/bin/env python
"""Classify raw videos and audio files with a finetuned CAV-MAE.

    python tools/infer.py INPUTS... --config CONFIG_OR_MODEL_NAME \
        --checkpoint CKPT [--topk 5] [--out results.json] [--device cpu] \
        [--batch-size N] [--workers N] [--label-file labels.csv]

INPUTS: video files (mp4, mkv, webm, avi, mov), audio files (wav, flac,
mp3, ogg, m4a; any rate and channel count), folders of them (recursive) or
.txt files listing them. Each file is decoded as the official extraction
would (16 kHz mono audio, the official 10 frames), then goes through the
config's test pipeline. --config takes a config file or a model-zoo name
(configs/metafile.yml, e.g. cavmae-ft_as2m_as-full-51.2); --checkpoint this
package's checkpoint, an official one as released, or a URL (downloaded once
into torch hub's cache); with a model-zoo name it defaults to the entry's
download URL. Prints a table and, with --out, writes JSON
({"results": [...], "errors": [...]}). Exit code 1 if any input failed.
"""
import argparse
import json
import sys
from pathlib import Path

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Each option's default in its help; the epilog as written."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('inputs', nargs='+', help='files, folders, lists')
    parser.add_argument(
        '--config', required=True, help='config file or model-zoo name')
    parser.add_argument(
        '--checkpoint',
        help='checkpoint file or URL; '
        "none: the model-zoo entry's weights")
    parser.add_argument(
        '--topk', type=int, default=5, help='classes listed per input')
    parser.add_argument('--out', type=Path, help='JSON results file')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='inputs per forward pass')
    parser.add_argument(
        '--workers', type=int, default=0, help='decoding processes')
    parser.add_argument(
        '--label-file', help="label CSV instead of the "
        "config's")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config entries, key=value')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.topk < 1 or args.batch_size < 1 or args.workers < 0:
        parser.error('--topk and --batch-size must be >= 1, --workers >= 0')
    return args


def print_table(results: list, errors: list) -> None:
    """Input, modality and top-k ``label (score)`` per file."""
    for item in results:
        top = '; '.join(f'{p["label"]} ({p["score"]:.3f})'
                        for p in item['predictions'])
        print(f'{item["input"]}\t[{item["modality"]}]\t{top}')
    for item in errors:
        print(f'{item["input"]}\t[error]\t{item["error"]}')


def main(argv=None) -> int:
    args = parse_args(argv)
    from cavmae_mm.apis import RawMediaClassifier, init_model
    from cavmae_mm.apis.raw_media import collect_inputs
    from cavmae_mm.checkpoint import resolve_model
    from cavmae_mm.utils.tool_config import parse_cfg_options
    try:
        config, checkpoint = resolve_model(args.config, args.checkpoint)
        files = collect_inputs(args.inputs)
        model = init_model(config, checkpoint, args.device,
                           parse_cfg_options(args.cfg_options))
        classifier = RawMediaClassifier(model, args.label_file)
    except (ValueError, FileNotFoundError, TypeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    output = classifier.run(
        files,
        args.topk,
        args.batch_size,
        args.workers,
        show_progress=not args.no_progress)
    print()
    print_table(output['results'], output['errors'])
    print(f'{len(output["results"])} classified, {len(output["errors"])} '
          'failed')
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(output, indent=1))
        print(f'results: {args.out}')
    return 1 if output['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
