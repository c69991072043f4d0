#!/usr/bin/env python
"""Search a folder of videos with an audio clip, an image or a video.

    python tools/misc/av_search.py GALLERY... --query QUERY \
        [--config cavmae-scale++_as2m] [--checkpoint CKPT] [--topk 10] \
        [--out matches.json] [--device cpu] [--batch-size 8] [--workers 0] \
        [--frame-aggregation diagonal_mean]

Ranks the gallery's videos (files, folders, .txt lists) by audio-visual
similarity to the query, with the pretrained CAV-MAE's zero-shot retrieval
features: an audio query is matched against the videos' frames, an image
against their sound, a video both ways (averaged). With a CAV-MAE Sync
model each clip is the K frames of its test pipeline, each with its audio
segment, and clips are scored by --frame-aggregation (default: the
config's retrieval metric's; an image query stands for every frame).
GALLERY may instead be an index, the .pt file of the gallery's embeddings
written once by

    python tools/misc/extract_features.py CONFIG CKPT --inputs VIDEOS... \
        --features audio visual --out index.pt

with the same config and checkpoint. --config takes a config file or a
model-zoo name (default: CAV-MAE-Scale++ with the retrieval config);
--checkpoint defaults to the model-zoo entry's download URL (downloaded
once into torch hub's cache). Prints the top matches and, with --out,
writes JSON (its frame_aggregation is null for one feature per clip). Exit
code 1 if a gallery file could not be used.
"""
import json
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.

#: cavmae_mm.evaluation.functional.FRAME_AGGREGATIONS, without importing it.
FRAME_AGGREGATIONS = ('diagonal_mean', 'diagonal_max', 'mean', 'max')


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'gallery',
        nargs='+',
        help='videos, folders, lists; or one .pt index of their embeddings')
    parser.add_argument(
        '--query', required=True, help='an audio file, an image or a video')
    cli_common.add_zoo_model_args(parser, 'cavmae-scale++_as2m')
    parser.add_argument(
        '--topk', type=int, default=10, help='matches to print')
    parser.add_argument('--out', type=Path, help='JSON file of the matches')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=8,
        help='gallery clips per forward pass')
    parser.add_argument(
        '--workers', type=int, default=0, help='decoding processes')
    parser.add_argument(
        '--frame-aggregation',
        choices=FRAME_AGGREGATIONS,
        help='how per-frame similarities (CAV-MAE Sync) make a clip\'s '
        "score; default: the config's retrieval metric's")
    cli_common.add_window_args(parser)
    args = parser.parse_args(argv)
    cli_common.check_window_args(parser, args)
    from cavmae_mm.apis import av_search
    try:
        model = cli_common.start_model(args, zoo=True)
        found = av_search(
            model,
            args.gallery,
            args.query,
            args.topk,
            args.batch_size,
            args.workers,
            show_progress=True,
            frame_aggregation=args.frame_aggregation,
            window=args.window,
            stride=args.stride)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    frames = f', frames: {found["frame_aggregation"]}' \
        if found['frame_aggregation'] else ''
    print(f'\nquery {found["query"]} ({" + ".join(found["query_modalities"])}'
          f'{frames}):')
    for match in found['matches']:
        times = f'  {match["start"]:.2f}-{match["end"]:.2f} s' \
            if 'start' in match else ''
        print(f'{match["rank"]:>4}  {match["score"]:+.4f}  {match["input"]}'
              f'{times}')
    for error in found['errors']:
        print(f'failed: {error["error"]}', file=sys.stderr)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(found, indent=1))
        print(f'matches: {args.out}')
    return 1 if found['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
