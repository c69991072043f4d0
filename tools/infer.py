#!/usr/bin/env python
"""Classify raw videos and audio files with a finetuned CAV-MAE.

    python tools/infer.py INPUTS... --config CONFIG_OR_MODEL_NAME \
        --checkpoint CKPT [--topk 5] [--out results.json] [--device cpu] \
        [--batch-size N] [--workers N] [--label-file labels.csv]

INPUTS: video files (mp4, mkv, webm, avi, mov), audio files (wav, flac,
mp3, ogg, m4a; any rate and channel count), folders of them (recursive) or
.txt files listing them. Each file is decoded as the official extraction
would (16 kHz mono audio, the official 10 frames), then goes through the
config's test pipeline. A file longer than the model's clip (10.24 s) is
classified window by window (--window, default the clip length; --stride,
default half of it), decoded as a stream: every result has "segments"
(start, end, top-k of each window) and a file-level "predictions"
aggregated over the windows ("aggregation": the max for a multi-label
model, the mean for a single-label one); a file no longer than one window
gets the clip answer and one segment. --out-plot (PNG/SVG timeline of the
top classes), --out-video (a copy with the current labels drawn, the
original audio kept) and --out-subtitles (.vtt/.srt of the labels per
window) take a file name for one input, else a folder.

--config takes a config file or a model-zoo name (configs/metafile.yml,
e.g. cavmae-ft_as2m_as-full-51.2); --checkpoint this package's checkpoint,
an official one as released, or a URL (downloaded once into torch hub's
cache); with a model-zoo name it defaults to the entry's download URL.
Prints a table and, with --out, writes JSON ({"results": [...],
"errors": [...]}). Exit code 1 if any input failed.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

import cli_common

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.


def parse_args(argv=None) -> argparse.Namespace:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('inputs', nargs='+', help='files, folders, lists')
    cli_common.add_zoo_model_args(parser)
    parser.add_argument(
        '--topk', type=int, default=5, help='classes listed per input')
    parser.add_argument('--out', type=Path, help='JSON results file')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='inputs per forward pass')
    parser.add_argument(
        '--workers', type=int, default=0, help='decoding processes')
    parser.add_argument(
        '--label-file', help="label CSV instead of the "
        "config's")
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    cli_common.add_window_args(parser)
    group = parser.add_argument_group('pictures and playable results')
    group.add_argument(
        '--out-plot',
        type=Path,
        help='timeline figure (.png or .svg; a folder for several inputs)')
    group.add_argument(
        '--out-video',
        type=Path,
        help='video with the labels drawn (.mp4; a folder for several '
        'inputs)')
    group.add_argument(
        '--out-subtitles',
        type=Path,
        help='subtitles of the labels per window (.vtt or .srt; a folder '
        'for several inputs)')
    args = parser.parse_args(argv)
    if args.topk < 1 or args.batch_size < 1 or args.workers < 0:
        parser.error('--topk and --batch-size must be >= 1, --workers >= 0')
    cli_common.check_window_args(parser, args)
    return args


#: Default suffix of each per-file output when a folder is given.
OUTPUT_SUFFIXES = dict(out_plot='.png', out_video='.mp4', out_subtitles='.vtt')


def output_path(args: argparse.Namespace, name: str, source: str,
                many: bool) -> Optional[Path]:
    """Where the per-file output ``name`` of ``source`` goes: the path
    given (one input with a suffix), else a file in that folder."""
    given = getattr(args, name)
    if given is None:
        return None
    if not many and given.suffix:
        return given
    return given / (Path(source).stem + OUTPUT_SUFFIXES[name])


def write_outputs(args, result: dict, many: bool) -> List[str]:
    """The figure, labelled video and subtitles a result asks for; their
    paths."""
    from cavmae_mm.visualization import (annotate_video, plot_timeline,
                                         write_subtitles)
    written = []
    for name in OUTPUT_SUFFIXES:
        path = output_path(args, name, result['input'], many)
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == 'out_plot':
            plot_timeline(result, result['scores'], result['class_names'],
                          path)
        elif name == 'out_subtitles':
            write_subtitles(result, path)
        else:
            annotate_video(result['input'], result, path)
        written.append(str(path))
    return written


def print_table(results: list, errors: list) -> None:
    """Input, modality and top-k ``label (score)`` per file (for a long
    file, aggregated over its windows)."""
    for item in results:
        top = '; '.join(f'{p["label"]} ({p["score"]:.3f})'
                        for p in item['predictions'])
        windows = len(item.get('segments', ()))
        over = f'\t({item["aggregation"]} over {windows} windows)' \
            if windows > 1 else ''
        print(f'{item["input"]}\t[{item["modality"]}]\t{top}{over}')
    for item in errors:
        print(f'{item["input"]}\t[error]\t{item["error"]}')


def main(argv=None) -> int:
    args = parse_args(argv)
    from cavmae_mm.apis import LongMediaClassifier, RawMediaClassifier
    from cavmae_mm.apis.long_media import classify_files
    from cavmae_mm.datasets.raw_media_dataset import collect_inputs
    try:
        files = collect_inputs(args.inputs)
        model = cli_common.start_model(args, zoo=True)
        long = LongMediaClassifier(
            RawMediaClassifier(model, args.label_file), args.window,
            args.stride, args.batch_size)
    except (ValueError, FileNotFoundError, TypeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    wants_scores = any(getattr(args, n) is not None for n in OUTPUT_SUFFIXES)

    def write(result: dict) -> None:
        if wants_scores:
            result['outputs'] = write_outputs(args, result, len(files) > 1)
            result.pop('scores')
            result.pop('class_names')

    output = classify_files(long, files, args.topk, args.workers,
                            not args.no_progress, wants_scores, write)
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
