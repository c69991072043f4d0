#!/usr/bin/env python
"""Validate a datalist before a long run; report every problem at once.

    python tools/data/check_datalist.py DATALIST LABEL_CSV [--data-root DIR]
        [--sample-rate 16000] [--decode] [--report problems.tsv]

Checks each datum: the wav exists and its header reads, at the expected
rate, mono, at least one 25 ms frame long (``--decode`` reads all samples);
its frames ``frame_{0..9}/{video_id}.jpg`` exist (``--decode`` also decodes
them); its labels are in the label CSV. Prints the problems grouped by kind
with counts (and writes them all with ``--report``); exits 1 if any.
"""
import json
import os.path as osp
import sys
from collections import defaultdict
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before soundfile, PIL and cavmae_mm (torch) are imported.


def check_audio(path, rate, decode):
    import soundfile
    if not osp.isfile(path):
        return 'missing wav', path
    try:
        info = soundfile.info(path)
        if decode:
            soundfile.read(path)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        return 'undecodable wav', f'{path}: {err}'
    if info.samplerate != rate:
        return 'wrong sample rate', f'{path}: {info.samplerate} Hz'
    if info.channels != 1:
        return 'not mono', f'{path}: {info.channels} channels'
    if info.frames < int(0.025 * rate):
        return 'too short', f'{path}: {info.frames} samples'
    return None


def check_frames(video_path, video_id, num_frames, decode):
    present = [
        osp.join(video_path, f'frame_{i}', f'{video_id}.jpg')
        for i in range(num_frames)
    ]
    present = [p for p in present if osp.isfile(p)]
    if not present:
        return [('no frames', f'{video_path}/frame_*/{video_id}.jpg')]
    problems = []
    if len(present) < num_frames:
        problems.append(('some frames missing',
                         f'{video_id}: {len(present)} of {num_frames}'))
    if decode:
        from PIL import Image, UnidentifiedImageError
        for path in present:
            try:
                with Image.open(path) as image:
                    image.load()
            except (UnidentifiedImageError, OSError) as err:
                problems.append(('corrupt frame', f'{path}: {err}'))
    return problems


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('datalist', help='datalist JSON')
    parser.add_argument('label_csv', help='label CSV (index,mid,display_name)')
    parser.add_argument(
        '--data-root', default='', help='folder the relative paths start from')
    parser.add_argument(
        '--sample-rate',
        type=int,
        default=16000,
        help='expected wav sample rate (Hz)')
    parser.add_argument(
        '--num-frames', type=int, default=10, help='expected frames per clip')
    parser.add_argument(
        '--decode',
        action='store_true',
        help='decode every wav and frame (slower)')
    parser.add_argument('--report', help='write every problem to this TSV')
    args = parser.parse_args(argv)
    from cavmae_mm.datasets.audio_visual_dataset import read_label_csv
    try:
        mids = {row['mid'] for row in read_label_csv(args.label_csv)}
        with open(args.datalist, encoding='utf-8') as handle:
            entries = json.load(handle)['data']
    except (FileNotFoundError, ValueError, KeyError, TypeError) as err:
        print(
            f'error: {args.datalist}: cannot read ({err!r})', file=sys.stderr)
        return 1
    problems = defaultdict(list)

    def resolve(path):
        return path if osp.isabs(path) or not args.data_root else \
            osp.join(args.data_root, path)

    for idx, entry in enumerate(entries):
        try:
            wav, vid = resolve(entry['wav']), entry['video_id']
            video_path, labels = resolve(entry['video_path']), \
                entry['labels']
        except (KeyError, TypeError):
            problems['malformed datum'].append((idx, repr(entry)[:80]))
            continue
        found = check_audio(wav, args.sample_rate, args.decode)
        if found:
            problems[found[0]].append((idx, found[1]))
        for kind, detail in check_frames(video_path, vid, args.num_frames,
                                         args.decode):
            problems[kind].append((idx, detail))
        unknown = [m for m in labels.split(',') if m not in mids]
        if unknown:
            problems['unknown label'].append((idx, f'{vid}: {unknown}'))
    total = sum(len(v) for v in problems.values())
    print(f'{args.datalist}: {len(entries)} datums, {total} problems')
    for kind, items in sorted(problems.items()):
        print(f'  {kind}: {len(items)}')
        for idx, detail in items[:3]:
            print(f'    datum {idx}: {detail}')
    if args.report and total:
        with open(args.report, 'w') as handle:
            for kind, items in sorted(problems.items()):
                handle.writelines(f'{kind}\t{idx}\t{detail}\n'
                                  for idx, detail in items)
    if not entries:
        print('  the datalist is empty')
        return 1
    return 1 if total else 0


if __name__ == '__main__':
    sys.exit(main())
