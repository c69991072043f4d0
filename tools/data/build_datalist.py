#!/usr/bin/env python
"""Write a CAV-MAE datalist JSON (and label CSV) from extracted clips.

    python tools/data/build_datalist.py LABELS OUT_JSON --audio-dir audio \
        --frames-dir frames [--format simple|audioset|vggsound] \
        [--label-csv labels.csv] [--label-csv-out labels.csv] [--root DIR]

LABELS is one of:
  simple    lines ``video_id,label[,label...]`` (labels are mids);
  audioset  the AudioSet segments CSV (``YTID, start, end, "mid,mid"``,
            '#' comments); video ids are the YTIDs;
  vggsound  the VGGSound CSV (``YTID,start,label name,split``); video ids
            are ``{YTID}_{start:06d}`` and the names are the mids.
Only clips whose wav (``{audio_dir}/{video_id}.wav``) and frames
(``{frames_dir}/frame_0/{video_id}.jpg``) exist are listed; the others are
counted. With ``--label-csv`` the classes are that file's (unknown labels
are errors); otherwise a label CSV of the labels seen is written to
``--label-csv-out``. Paths are written relative to ``--root`` when given.
"""
import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Dict, List

from cavmae_mm.datasets.audio_visual_dataset import read_label_csv


#: First-column names that mark a header row of a simple label file.
HEADER_NAMES = ('video_id', 'youtube_id', 'ytid', 'id', 'clip', 'filename')


def read_simple(path: Path) -> Dict[str, List[str]]:
    """``video_id,label[,label...]`` rows; a header row (first column
    named e.g. ``video_id``) is skipped."""
    labels = {}
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(',')]
        if line_no == 1 and fields[0].lower() in HEADER_NAMES:
            continue
        if len(fields) < 2 or not all(fields):
            raise ValueError(f'{path}:{line_no}: expected '
                             'video_id,label[,label...]')
        labels[fields[0]] = fields[1:]
    return labels


def read_audioset(path: Path) -> Dict[str, List[str]]:
    labels = {}
    with open(path, newline='') as handle:
        rows = csv.reader((ln for ln in handle if not ln.startswith('#')),
                          skipinitialspace=True)
        for line_no, row in enumerate(rows, 1):
            if len(row) < 4:
                raise ValueError(f'{path}: row {line_no}: expected YTID, '
                                 'start, end, "labels"')
            labels[row[0]] = [m.strip() for m in row[3].split(',')]
    return labels


def read_vggsound(path: Path) -> Dict[str, List[str]]:
    labels = {}
    with open(path, newline='') as handle:
        for line_no, row in enumerate(csv.reader(handle), 1):
            if len(row) < 3:
                raise ValueError(f'{path}: row {line_no}: expected YTID, '
                                 'start, label, split')
            try:
                start = int(row[1])
            except ValueError:
                raise ValueError(f'{path}: row {line_no}: start '
                                 f'{row[1]!r} is not an integer') from None
            labels[f'{row[0]}_{start:06d}'] = [row[2].strip()]
    return labels


READERS = dict(simple=read_simple, audioset=read_audioset,
               vggsound=read_vggsound)


def relative(path: Path, root) -> str:
    return os.path.relpath(path, root) if root else str(path.resolve())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('labels', type=Path, help='labels source file')
    parser.add_argument('out_json', type=Path)
    parser.add_argument('--format', choices=sorted(READERS),
                        default='simple')
    parser.add_argument('--audio-dir', type=Path, required=True)
    parser.add_argument('--frames-dir', type=Path, required=True)
    parser.add_argument('--label-csv', type=Path,
                        help='existing label CSV (index,mid,display_name)')
    parser.add_argument('--label-csv-out', type=Path,
                        help='where to write the label CSV of seen labels')
    parser.add_argument('--root', type=Path,
                        help='write paths relative to this folder')
    args = parser.parse_args(argv)
    try:
        if not args.labels.is_file():
            raise FileNotFoundError(f'{args.labels}: not found')
        clip_labels = READERS[args.format](args.labels)
        known = None
        if args.label_csv:
            known = {row['mid'] for row in read_label_csv(str(args.label_csv))}
            unknown = sorted({m for ls in clip_labels.values() for m in ls}
                             - known)
            if unknown:
                raise ValueError(f'{args.labels}: {len(unknown)} labels not '
                                 f'in {args.label_csv}: {unknown[:5]}')
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    entries, missing = [], 0
    for video_id, mids in clip_labels.items():
        wav = args.audio_dir / f'{video_id}.wav'
        frame0 = args.frames_dir / 'frame_0' / f'{video_id}.jpg'
        if not (wav.is_file() and frame0.is_file()):
            missing += 1
            continue
        entries.append(dict(video_id=video_id,
                            wav=relative(wav, args.root),
                            video_path=relative(args.frames_dir, args.root),
                            labels=','.join(mids)))
    if not entries:
        print(f'error: none of the {len(clip_labels)} clips of '
              f'{args.labels} has extracted audio and frames',
              file=sys.stderr)
        return 1
    args.out_json.write_text(json.dumps(dict(data=entries), indent=1))
    if known is None:
        seen = sorted({m for e in entries for m in e['labels'].split(',')})
        out_csv = args.label_csv_out or args.out_json.with_name(
            'labels.csv')
        with open(out_csv, 'w', newline='') as handle:
            writer = csv.writer(handle)
            writer.writerow(['index', 'mid', 'display_name'])
            writer.writerows([i, mid, mid] for i, mid in enumerate(seen))
        print(f'{out_csv}: {len(seen)} classes')
    print(f'{args.out_json}: {len(entries)} clips, {missing} without '
          'extracted audio or frames')
    return 0


if __name__ == '__main__':
    sys.exit(main())
