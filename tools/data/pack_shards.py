#!/usr/bin/env python
"""Pack a datalist's clips into WebDataset tar shards, with a manifest.

    python tools/data/pack_shards.py DATALIST OUT_DIR [--data-root DIR]
        [--samples-per-shard 1000 | --shard-size 1GB] [--workers 8]
        [--seed 0 | --no-shuffle] [--allow-missing]
    python tools/data/pack_shards.py --verify OUT_DIR [--workers 8]

DATALIST is any datalist the datasets read (the official JSON, paths
relative to ``--data-root``): extracted clips (a wav and the frames
``frame_{i}/{video_id}.jpg``) or raw video files (``video_path`` and no
``wav``). Each clip becomes one sample of a shard; its members are the
files' bytes, unchanged, and a JSON with the video id, the labels and the
datum's index (see ``cavmae_mm/datasets/shards/layout.py``), so the test
pipeline gives the same tensors from the shards as from the files. The
clips are assigned to shards in a seeded random order (``--no-shuffle``
keeps the datalist order), ``--samples-per-shard`` or about
``--shard-size`` bytes each.

Parallel (``--workers`` processes, one shard at a time each) and
resumable: a shard is complete once its tar and its index (``.json``) are
renamed into place, and a rerun packs only the shards that are not; the
settings are kept in ``OUT_DIR/plan.json`` and a rerun with other settings
is refused. At the end every shard is read back with WebDataset's own tar
reader and checked (sample count and keys, the byte spans, every wav and
frame decodes, size and SHA-256), then ``OUT_DIR/manifest.json`` is
written: the dataset's ``ann_file`` (``ShardedAudioVisualDataset``).
``--verify OUT_DIR`` runs the same check on an existing folder (before a
long run, or after copying the shards). A clip whose files are missing
stops the packing with the list of such clips, unless ``--allow-missing``
leaves them out (recorded in the manifest); exit code 1 on any failure.
"""
import argparse
import json
import os.path as osp
import re
import sys
from pathlib import Path
from typing import Optional

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before numpy, PIL, soundfile and cavmae_mm are imported.

#: Frames of the official CAV-MAE extraction: by default every clip's
#: frame_0 .. frame_9 that exist are packed, and any further consecutive
#: ones (CAV-MAE Sync reads 16).
NUM_FRAMES = 10
_SIZE = re.compile(r'^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$', re.IGNORECASE)


def parse_size(text: str) -> int:
    """'1GB', '500M', '4096' -> bytes."""
    match = _SIZE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f'not a size: {text!r} (e.g. 1GB)')
    scale = 1024**' kmgt'.index(match.group(2).lower() or ' ')
    return int(float(match.group(1)) * scale)


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__,
                                    'Pack a datalist into WebDataset shards')
    parser.add_argument('datalist', nargs='?', help='datalist JSON')
    parser.add_argument('out_dir', nargs='?', help='folder of the shards')
    parser.add_argument(
        '--verify',
        metavar='OUT_DIR',
        help='only check the shards of an existing folder')
    parser.add_argument(
        '--data-root', default='', help='root of relative paths')
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        '--samples-per-shard',
        type=int,
        help='clips per shard (default 1000 unless --shard-size is given)')
    size.add_argument(
        '--shard-size',
        type=parse_size,
        help='about this many bytes per shard (e.g. 1GB)')
    parser.add_argument(
        '--workers', type=int, default=1, help='packing processes')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the clip order')
    parser.add_argument(
        '--no-shuffle',
        action='store_true',
        help='keep the datalist order (e.g. for evaluation lists)')
    parser.add_argument(
        '--num-frames',
        type=int,
        help='pack frame_0 .. frame_{N-1} of each clip; default: those of '
        'frame_0 .. frame_9 that exist and any consecutive ones after '
        '(e.g. the 16 of CAV-MAE Sync)')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='leave out clips whose files are missing (else an error)')
    args = parser.parse_args(argv)
    if args.verify is None and (args.datalist is None or args.out_dir is None):
        parser.error('DATALIST and OUT_DIR are required (or --verify DIR)')
    if args.workers < 1:
        parser.error('--workers must be >= 1')
    if args.num_frames is not None and args.num_frames < 1:
        parser.error('--num-frames must be >= 1')
    if args.samples_per_shard is not None and args.samples_per_shard < 1:
        parser.error('--samples-per-shard must be >= 1')
    if args.samples_per_shard is None and args.shard_size is None:
        args.samples_per_shard = 1000
    return args


# --- planning -------------------------------------------------------------


def frame_indices(info: dict, num_frames: Optional[int]):
    """The frame indices to look for: ``range(num_frames)``, or by default
    0 .. 9 and every consecutive existing one after."""
    from cavmae_mm.datasets.transforms.frames import frame_file
    if num_frames is not None:
        return range(num_frames)
    count = NUM_FRAMES
    while frame_file(info['video_path'], info['video_id'], count).is_file():
        count += 1
    return range(count)


def clip_files(info: dict, num_frames: Optional[int] = None):
    """The (member, path) pairs of a clip (its wav and the frames of
    :func:`frame_indices` that exist), and the reason it cannot be packed
    (None when it can)."""
    from cavmae_mm.datasets.shards.layout import WAV_MEMBER, frame_member
    from cavmae_mm.datasets.transforms.frames import frame_file
    if 'audio_path' not in info:  # a raw video file
        path = info['filename']
        if not osp.isfile(path):
            return [], f'{path}: video file not found'
        extension = osp.splitext(path)[1].lstrip('.').lower() or 'mp4'
        return [(extension, path)], None
    if not osp.isfile(info['audio_path']):
        return [], f'{info["audio_path"]}: audio file not found'
    files = [(WAV_MEMBER, info['audio_path'])]
    for i in frame_indices(info, num_frames):
        path = frame_file(info['video_path'], info['video_id'], i)
        if path.is_file():
            files.append((frame_member(i), str(path)))
    if len(files) == 1:
        return [], (f'{info["video_path"]}/frame_*/{info["video_id"]}.jpg:'
                    ' no frames')
    return files, None


def read_clips(datalist: str,
               data_root: str,
               num_frames: Optional[int] = None):
    """Every datum: its index, video id, labels text and files; and the
    clips that cannot be packed with their reasons."""
    from cavmae_mm.datasets import AudioVisualDataset
    dataset = AudioVisualDataset(ann_file=datalist, data_root=data_root)
    with open(datalist, encoding='utf-8') as handle:
        entries = json.load(handle)['data']
    clips, missing = [], []
    for datum, entry in enumerate(entries):
        files, reason = clip_files(dataset.get_data_info(datum), num_frames)
        if reason is not None:
            missing.append(dict(datum=datum, reason=reason))
            continue
        clips.append(
            dict(
                datum=datum,
                video_id=entry['video_id'],
                labels=entry.get('labels') or '',
                files=files,
                size=sum(osp.getsize(path) for _, path in files)))
    return clips, missing, len(entries)


def assign_shards(clips, args):
    """Lists of clips per shard, in the seeded (or datalist) order."""
    import numpy as np
    order = np.arange(len(clips))
    if not args.no_shuffle:
        order = np.random.default_rng(args.seed).permutation(len(clips))
    shards, current, current_bytes = [], [], 0
    for i in order.tolist():
        clip = clips[i]
        full = (
            len(current) >= args.samples_per_shard if args.samples_per_shard
            else current_bytes + clip['size'] > args.shard_size)
        if current and full:
            shards.append(current)
            current, current_bytes = [], 0
        current.append(clip)
        current_bytes += clip['size']
    if current:
        shards.append(current)
    return shards


def write_json_atomic(path: Path, data) -> None:
    from cavmae_mm.datasets.shards.writer import write_text_atomic
    write_text_atomic(path, json.dumps(data))


def load_plan(out_dir: Path, args):
    """The plan of ``out_dir`` (made now, or kept from an earlier run with
    the same settings)."""
    settings = dict(
        datalist=osp.abspath(args.datalist),
        data_root=osp.abspath(args.data_root) if args.data_root else '',
        samples_per_shard=args.samples_per_shard,
        shard_size=args.shard_size,
        seed=None if args.no_shuffle else args.seed,
        allow_missing=args.allow_missing)
    plan_file = out_dir / 'plan.json'
    if plan_file.is_file():
        plan = json.loads(plan_file.read_text())
        if plan['settings'] != settings:
            changed = sorted(k for k in settings
                             if plan['settings'].get(k) != settings[k])
            raise SystemExit(f'{out_dir}: packed before with other settings '
                             f'({", ".join(changed)}); use another folder '
                             'or the same settings to resume')
        return plan
    clips, missing, datalist_size = read_clips(args.datalist, args.data_root,
                                               args.num_frames)
    if missing and not args.allow_missing:
        lines = '\n'.join(f'  datum {m["datum"]}: {m["reason"]}'
                          for m in missing[:20])
        more = f'\n  ... and {len(missing) - 20} more' \
            if len(missing) > 20 else ''
        raise SystemExit(f'{args.datalist}: {len(missing)} clip(s) cannot be'
                         f' packed:\n{lines}{more}\n(--allow-missing leaves '
                         'them out)')
    if not clips:
        raise SystemExit(f'{args.datalist}: no clip can be packed')
    plan = dict(
        settings=settings,
        datalist_size=datalist_size,
        excluded=missing,
        shards=assign_shards(clips, args))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(plan_file, plan)
    return plan


# --- packing ----------------------------------------------------------------


def shard_paths(out_dir: Path, index: int):
    from cavmae_mm.datasets.shards.layout import shard_name
    tar = out_dir / shard_name(index)
    return tar, tar.with_suffix('.json')


def shard_is_complete(out_dir: Path, index: int, clips) -> bool:
    tar, sidecar = shard_paths(out_dir, index)
    if not (tar.is_file() and sidecar.is_file()):
        return False
    desc = json.loads(sidecar.read_text())
    return desc['filesize'] == tar.stat().st_size and \
        [s[0] for s in desc['samples']] == [c['datum'] for c in clips]


class PackShard:
    """Writes one shard and its index (a picklable job for the pool)."""

    def __init__(self, out_dir: str, plan: dict) -> None:
        self.out_dir = Path(out_dir)
        self.shards = plan['shards']

    def __call__(self, item: str):
        from cavmae_mm.datasets.shards.writer import write_shard
        index = int(item)
        tar, sidecar = shard_paths(self.out_dir, index)

        def samples():
            for clip in self.shards[index]:
                meta = dict(
                    video_id=clip['video_id'],
                    labels=clip['labels'],
                    datum=clip['datum'])
                members = {}
                for member, path in clip['files']:
                    with open(path, 'rb') as handle:
                        members[member] = handle.read()
                yield meta, members

        try:
            entry = write_shard(tar, samples())
        except OSError as err:
            return f'{tar.name}: {err}'
        write_json_atomic(sidecar, entry)
        return None


# --- verification ---------------------------------------------------------


def check_members(key: str, members: dict, where: str):
    """Decodes a sample's wav and frames (or probes its video)."""
    import io

    import soundfile
    from PIL import Image, UnidentifiedImageError

    from cavmae_mm.datasets.shards.layout import frame_index
    for name, data in members.items():
        try:
            if name == 'wav':
                soundfile.read(io.BytesIO(data))
            elif frame_index(name) is not None:
                with Image.open(io.BytesIO(data)) as image:
                    image.load()
            elif name != 'json':
                check_video(data, name)
        except (soundfile.LibsndfileError, RuntimeError, OSError,
                UnidentifiedImageError, ValueError) as err:
            return f'{where}#{key}.{name}: does not decode ({err})'
    return None


def check_video(data: bytes, extension: str) -> None:
    import io

    import av
    with av.open(io.BytesIO(data)) as container:
        if not container.streams.video:
            raise ValueError(f'no video stream in the .{extension}')


class VerifyShard:
    """Reads one shard back and checks it against its index."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)

    def __call__(self, item: str):
        from cavmae_mm.datasets.shards.tar_span import parse_span
        tar, sidecar = shard_paths(self.out_dir, int(item))
        if not sidecar.is_file():
            return f'{tar.name}: no index {sidecar.name} (not packed yet)'
        desc = json.loads(sidecar.read_text())
        if not tar.is_file():
            return f'{tar.name}: missing'
        if tar.stat().st_size != desc['filesize']:
            return (f'{tar.name}: {tar.stat().st_size} bytes, its index says'
                    f' {desc["filesize"]} (truncated?)')
        from cavmae_mm.datasets.shards.writer import file_sha256
        if file_sha256(tar) != desc['sha256']:
            return f'{tar.name}: SHA-256 differs from its index (corrupt)'
        data = tar.read_bytes()
        try:  # WebDataset's own reader: the format is WebDataset's
            samples = group_members(tar)
        except (OSError, ValueError) as err:
            return f'{tar.name}: WebDataset cannot read it ({err})'
        if len(samples) != desc['nsamples']:
            return (f'{tar.name}: {len(samples)} samples, its index says '
                    f'{desc["nsamples"]}')
        for entry, sample in zip(desc['samples'], samples):
            datum, _, _, offset, length = entry
            try:
                key, members = parse_span(data[offset:offset + length],
                                          tar.name)
            except ValueError as err:
                return str(err)
            stored = {
                k: v
                for k, v in sample.items() if not k.startswith('__')
            }
            if key != sample['__key__'] or int(key) != datum or \
                    stored != members:
                return (f'{tar.name}: sample {key} differs from what '
                        'WebDataset reads at its place')
            reason = check_members(key, members, tar.name)
            if reason is not None:
                return reason
        return None


def group_members(tar_path: Path):
    """WebDataset's grouping of a shard's members into samples."""
    from webdataset.tariterators import group_by_keys, tar_file_expander
    with open(tar_path, 'rb') as stream:
        files = tar_file_expander([dict(url=str(tar_path), stream=stream)])
        return list(group_by_keys(files))


def write_manifest(out_dir: Path, plan: dict, name: str) -> Path:
    from cavmae_mm.datasets.shards.layout import MANIFEST_NAME
    from cavmae_mm.datasets.shards.writer import write_manifest as write
    shards = [
        json.loads(shard_paths(out_dir, i)[1].read_text())
        for i in range(len(plan['shards']))
    ]
    return write(out_dir / MANIFEST_NAME, shards, name,
                 osp.basename(plan['settings']['datalist']),
                 plan['datalist_size'], plan['excluded'])


def verify(out_dir: Path, count: int, workers: int, run_jobs) -> int:
    failures_file = out_dir / 'verify_failures.tsv'
    print(f'verifying {count} shards ...')
    done, failures = run_jobs([str(i) for i in range(count)],
                              VerifyShard(str(out_dir)), workers,
                              failures_file)
    for _, reason in failures[:20]:
        print(f'  {reason}', file=sys.stderr)
    print(f'{done} of {count} shards verified' + (
        f'; {len(failures)} failed (see {failures_file})' if failures else ''))
    return 1 if failures else 0


def main(argv=None) -> int:
    args = parse_args(argv)
    from batch_jobs import run_jobs
    if args.verify is not None:
        out_dir = Path(args.verify)
        plan_file = out_dir / 'plan.json'
        if not plan_file.is_file():
            raise SystemExit(f'{out_dir}: no plan.json (not a folder of '
                             'pack_shards.py)')
        plan = json.loads(plan_file.read_text())
        return verify(out_dir, len(plan['shards']), args.workers, run_jobs)
    out_dir = Path(args.out_dir)
    plan = load_plan(out_dir, args)
    todo = [
        str(i) for i, clips in enumerate(plan['shards'])
        if not shard_is_complete(out_dir, i, clips)
    ]
    total = len(plan['shards'])
    print(f'{sum(len(s) for s in plan["shards"])} clips in {total} shards; '
          f'{total - len(todo)} already packed, {len(todo)} to pack')
    _, failures = run_jobs(todo, PackShard(str(out_dir), plan), args.workers,
                           out_dir / 'pack_failures.tsv')
    if failures:
        for _, reason in failures[:20]:
            print(f'  {reason}', file=sys.stderr)
        print(f'{len(failures)} shards failed; rerun to retry them')
        return 1
    status = verify(out_dir, total, args.workers, run_jobs)
    if status:
        return status
    name = osp.splitext(osp.basename(args.datalist))[0]
    manifest = write_manifest(out_dir, plan, name)
    excluded = len(plan['excluded'])
    print(f'{manifest}: {total} shards' +
          (f', {excluded} clips left out (listed in the manifest)'
           if excluded else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
