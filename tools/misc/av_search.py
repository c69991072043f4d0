#!/usr/bin/env python
"""Search a folder of videos with an audio clip, an image or a video.

    python tools/misc/av_search.py GALLERY... --query QUERY \
        [--config cavmae-scale++_as2m] [--checkpoint CKPT] [--topk 10] \
        [--out matches.json] [--device cpu] [--batch-size 8] [--workers 0]

Ranks the gallery's videos (files, folders, .txt lists) by audio-visual
similarity to the query, with the pretrained CAV-MAE's zero-shot retrieval
features: an audio query is matched against the videos' frames, an image
against their sound, a video both ways (averaged). --config takes a config
file or a model-zoo name (default: CAV-MAE-Scale++ with the retrieval
config); --checkpoint defaults to the model-zoo entry's download URL
(downloaded once into torch hub's cache). Prints the top matches and, with
--out, writes JSON. Exit code 1 if a gallery file could not be used.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('gallery', nargs='+', help='videos, folders, lists')
    parser.add_argument(
        '--query', required=True, help='an audio file, an image or a video')
    parser.add_argument(
        '--config',
        default='cavmae-scale++_as2m',
        help='config file or model-zoo name')
    parser.add_argument(
        '--checkpoint',
        help='checkpoint file or URL; none: '
        "the model-zoo entry's weights")
    parser.add_argument(
        '--topk', type=int, default=10, help='matches to print')
    parser.add_argument('--out', type=Path, help='JSON file of the matches')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=8,
        help='gallery clips per forward pass')
    parser.add_argument(
        '--workers', type=int, default=0, help='decoding processes')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override config entries, key=value')
    args = parser.parse_args(argv)
    from cavmae_mm.apis import av_search, init_model
    from cavmae_mm.checkpoint import resolve_model
    from cavmae_mm.utils.tool_config import parse_cfg_options
    try:
        config, checkpoint = resolve_model(args.config, args.checkpoint)
        model = init_model(config, checkpoint, args.device,
                           parse_cfg_options(args.cfg_options))
        found = av_search(
            model,
            args.gallery,
            args.query,
            args.topk,
            args.batch_size,
            args.workers,
            show_progress=True)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'\nquery {found["query"]} ({" + ".join(found["query_modalities"])}'
          f'):')
    for match in found['matches']:
        print(f'{match["rank"]:>4}  {match["score"]:+.4f}  {match["input"]}')
    for error in found['errors']:
        print(f'failed: {error["error"]}', file=sys.stderr)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(found, indent=1))
        print(f'matches: {args.out}')
    return 1 if found['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
