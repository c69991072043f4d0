#!/usr/bin/env python
"""Write a CAV-MAE datalist JSON (and label CSV) from clips on disk.

    python tools/data/build_datalist.py [LABELS] OUT_JSON \
        (--audio-dir audio --frames-dir frames | --video-dir videos) \
        [--format simple|audioset|vggsound] [--label-csv labels.csv] \
        [--label-csv-out labels.csv] [--root DIR] [--unlabelled] \
        [--test-fraction 0.1 --seed 0 --test-out test.json]

Clips come either extracted (``--audio-dir`` + ``--frames-dir``: the
official layout, ``{audio_dir}/{video_id}.wav`` and
``{frames_dir}/frame_{i}/{video_id}.jpg``) or as video files
(``--video-dir``: every video of the folder, ``--recursive`` for
sub-folders, read on the fly by the dataset bases' ``*_videos``
pipelines; the datum then holds ``video_path`` = the video file and no
``wav``). Clips without their files are counted and left out.

LABELS is one of:
  simple    lines ``video_id,label[,label...]`` (labels are mids; a header
            row such as ``video_id,label`` is skipped);
  audioset  the AudioSet segments CSV (``YTID, start, end, "mid,mid"``,
            '#' comments); video ids are the YTIDs;
  vggsound  the VGGSound CSV (``YTID,start,label name,split``); video ids
            are ``{YTID}_{start:06d}`` and the names are the mids.
With ``--unlabelled`` there is no LABELS file: every clip found is listed
without labels (pretraining; use the dataset without ``label_file``).

With ``--label-csv`` the classes are that file's (unknown labels are
errors); otherwise a label CSV of the labels seen is written to
``--label-csv-out`` (default: ``labels.csv`` beside OUT_JSON).

``--test-fraction F`` splits the clips: OUT_JSON gets the training part,
``--test-out`` the test part, stratified by label (each clip counts for its
rarest label, so every class keeps about F of its clips in the test part)
and reproducible with ``--seed``. Paths are written relative to ``--root``
when given, absolute otherwise.
"""
import argparse
import csv
import json
import os
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

#: First-column names that mark a header row of a simple label file.
HEADER_NAMES = ('video_id', 'youtube_id', 'ytid', 'id', 'clip', 'filename')


def parse_args(argv=None) -> argparse.Namespace:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'paths',
        nargs='+',
        metavar='[LABELS] OUT_JSON',
        help='the labels source (left out with '
        '--unlabelled) and the datalist to write')
    parser.add_argument(
        '--format',
        choices=sorted(READERS),
        default='simple',
        help='format of LABELS')
    parser.add_argument(
        '--audio-dir',
        type=Path,
        help='folder of extracted wavs ({video_id}.wav)')
    parser.add_argument(
        '--frames-dir',
        type=Path,
        help='folder of extracted frames '
        '(frame_{i}/{video_id}.jpg)')
    parser.add_argument(
        '--video-dir',
        type=Path,
        help='folder of video files, instead of '
        '--audio-dir/--frames-dir (read on the fly)')
    parser.add_argument(
        '--recursive',
        action='store_true',
        help='with --video-dir: also the videos of '
        'sub-folders')
    parser.add_argument(
        '--unlabelled',
        action='store_true',
        help='list every clip found, without labels')
    parser.add_argument(
        '--label-csv',
        type=Path,
        help='existing label CSV (index,mid,display_name)')
    parser.add_argument(
        '--label-csv-out',
        type=Path,
        help='where to write the label CSV of seen labels '
        '(default: labels.csv beside OUT_JSON)')
    parser.add_argument(
        '--root',
        type=Path,
        help='write paths relative to this folder (default: '
        'absolute paths)')
    parser.add_argument(
        '--test-fraction',
        type=float,
        help='fraction of clips for a stratified test '
        'split (default: no split)')
    parser.add_argument(
        '--test-out',
        type=Path,
        help='datalist of the test split (default: '
        'OUT_JSON with _test before .json)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the test split')
    args = parser.parse_args(argv)
    wanted = 1 if args.unlabelled else 2
    if len(args.paths) != wanted:
        parser.error('give OUT_JSON alone with --unlabelled' if args.
                     unlabelled else 'give LABELS and OUT_JSON '
                     '(or --unlabelled and OUT_JSON)')
    args.labels = None if args.unlabelled else Path(args.paths[0])
    args.out_json = Path(args.paths[-1])
    if (args.video_dir is None) == (args.audio_dir is None
                                    and args.frames_dir is None):
        parser.error('give either --video-dir or both --audio-dir and '
                     '--frames-dir')
    if args.video_dir is None and (args.audio_dir is None
                                   or args.frames_dir is None):
        parser.error('--audio-dir and --frames-dir go together')
    if args.test_fraction is not None and not 0 < args.test_fraction < 1:
        parser.error(f'--test-fraction must be in (0, 1), got '
                     f'{args.test_fraction}')
    if args.test_out is None:
        args.test_out = args.out_json.with_name(args.out_json.stem +
                                                '_test.json')
    return args


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


READERS = dict(
    simple=read_simple, audioset=read_audioset, vggsound=read_vggsound)


def relative(path: Path, root: Optional[Path]) -> str:
    return os.path.relpath(path, root) if root else str(path.resolve())


def find_clips(args) -> Dict[str, Dict[str, str]]:
    """Every clip on disk: video id -> the datum's path fields.

    Raises:
        FileNotFoundError: A folder does not exist (named).
        ValueError: A folder holds no clips (named, with what was expected).
    """
    if args.video_dir is not None:
        folder = args.video_dir
        if not folder.is_dir():
            raise FileNotFoundError(f'{folder}: video folder not found')
        # the extraction tools' video listing (a helper module of this
        # folder): sorted, --recursive, an error naming an empty folder
        from batch_jobs import list_inputs
        videos = [
            Path(v)
            for v in list_inputs(str(folder), recursive=args.recursive)
        ]
        clips = {}
        for video in videos:
            if video.stem in clips:
                raise ValueError(f'{folder}: two videos of clip '
                                 f'{video.stem}: {clips[video.stem]} and '
                                 f'{video}')
            clips[video.stem] = dict(video_path=relative(video, args.root))
        return clips
    for folder, what in ((args.audio_dir, 'audio'), (args.frames_dir,
                                                     'frames')):
        if not folder.is_dir():
            raise FileNotFoundError(f'{folder}: {what} folder not found')
    first_frames = args.frames_dir / 'frame_0'
    if not first_frames.is_dir():
        raise ValueError(f'{args.frames_dir}: no frame_0 folder (expected '
                         'the layout of tools/data/extract_frames.py)')
    frames = {p.stem for p in first_frames.glob('*.jpg')}
    clips = {
        wav.stem:
        dict(
            wav=relative(wav, args.root),
            video_path=relative(args.frames_dir, args.root))
        for wav in sorted(args.audio_dir.glob('*.wav')) if wav.stem in frames
    }
    if not clips:
        raise ValueError(f'{args.audio_dir}, {args.frames_dir}: no clip has '
                         'both a wav and frames')
    return clips


def read_labels(args) -> Tuple[Optional[Dict[str, List[str]]], Optional[set]]:
    """The clips' labels (None when unlabelled) and the known classes
    (None without --label-csv)."""
    if args.labels is None:
        return None, None
    if not args.labels.is_file():
        raise FileNotFoundError(f'{args.labels}: labels file not found')
    clip_labels = READERS[args.format](args.labels)
    if not args.label_csv:
        return clip_labels, None
    from cavmae_mm.datasets.audio_visual_dataset import read_label_csv
    known = {row['mid'] for row in read_label_csv(str(args.label_csv))}
    unknown = sorted({m for ls in clip_labels.values() for m in ls} - known)
    if unknown:
        raise ValueError(f'{args.labels}: {len(unknown)} labels not in '
                         f'{args.label_csv}: {unknown[:5]}')
    return clip_labels, known


def stratified_split(entries: List[dict], fraction: float,
                     seed: int) -> Tuple[List[dict], List[dict]]:
    """Train and test parts, about ``fraction`` of each stratum in test.

    A clip's stratum is its rarest label (ties: the smallest mid); unlabelled
    clips form one stratum. Each stratum gets ``floor(n * fraction)`` test
    clips, and the clips still missing to ``round(N * fraction)`` go to the
    strata with the largest remainders. The draw is seeded and independent
    of the order of the entries.
    """
    counts = Counter(
        m for e in entries for m in e.get('labels', '').split(',') if m)
    strata = defaultdict(list)
    for entry in entries:
        mids = [m for m in entry.get('labels', '').split(',') if m]
        key = min(mids, key=lambda m: (counts[m], m)) if mids else ''
        strata[key].append(entry)
    target = round(len(entries) * fraction)
    quota = {k: int(len(v) * fraction) for k, v in strata.items()}
    remainders = sorted(
        strata, key=lambda k: (-(len(strata[k]) * fraction - quota[k]), k))
    for key in remainders[:max(0, target - sum(quota.values()))]:
        quota[key] += 1
    rng = random.Random(seed)
    test_ids = set()
    for key in sorted(strata):
        ids = sorted(e['video_id'] for e in strata[key])
        rng.shuffle(ids)
        test_ids.update(ids[:quota[key]])
    train = [e for e in entries if e['video_id'] not in test_ids]
    test = [e for e in entries if e['video_id'] in test_ids]
    return train, test


def write_label_csv(path: Path, entries: List[dict]) -> int:
    seen = sorted({m for e in entries for m in e['labels'].split(',')})
    with open(path, 'w', newline='') as handle:
        writer = csv.writer(handle)
        writer.writerow(['index', 'mid', 'display_name'])
        writer.writerows([i, mid, mid] for i, mid in enumerate(seen))
    return len(seen)


def write_datalist(path: Path, entries: List[dict]) -> None:
    path.write_text(json.dumps(dict(data=entries), indent=1))


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        clips = find_clips(args)
        clip_labels, known = read_labels(args)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    if clip_labels is None:
        entries = [dict(video_id=vid, **paths) for vid, paths in clips.items()]
        missing = 0
    else:
        entries = [
            dict(video_id=vid, **clips[vid], labels=','.join(mids))
            for vid, mids in clip_labels.items() if vid in clips
        ]
        missing = len(clip_labels) - len(entries)
        if not entries:
            print(
                f'error: none of the {len(clip_labels)} clips of '
                f'{args.labels} has its files in '
                f'{args.video_dir or args.audio_dir}',
                file=sys.stderr)
            return 1
    parts = [(args.out_json, entries)]
    if args.test_fraction is not None:
        train, test = stratified_split(entries, args.test_fraction, args.seed)
        if not train or not test:
            print(
                f'error: --test-fraction {args.test_fraction} of '
                f'{len(entries)} clips leaves an empty part',
                file=sys.stderr)
            return 1
        parts = [(args.out_json, train), (args.test_out, test)]
    for path, part in parts:
        write_datalist(path, part)
    if clip_labels is not None and known is None:
        out_csv = args.label_csv_out or args.out_json.with_name('labels.csv')
        print(f'{out_csv}: {write_label_csv(out_csv, entries)} classes')
    for path, part in parts:
        print(f'{path}: {len(part)} clips')
    if clip_labels is not None:
        print(f'{missing} of the {len(clip_labels)} clips of {args.labels} '
              'have no files and were left out')
    return 0


if __name__ == '__main__':
    sys.exit(main())
