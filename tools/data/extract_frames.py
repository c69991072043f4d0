#!/usr/bin/env python
"""Extract the reference's 10 evenly spaced frames of each video.

    python tools/data/extract_frames.py VIDEOS OUT_DIR [--workers 4]

Frames are read as the official extraction reads them (OpenCV; for
N = min(frame count, int(fps * 10)), slot i holds frame
max(int(i * N / 10) - 1, 0), one seek each), short side resized to 224
(bilinear, as the official extraction) and centre cropped, and saved as
OUT_DIR/frame_{i}/{video_id}.jpg (JPEG quality 75, PIL's default, which the
official ``save_image`` uses).
Videos whose 10 frames all exist are skipped (resumable). Failures are listed
in OUT_DIR/extract_frames_failures.tsv; the exit code is 1 if any failed.
"""
import argparse
import functools
import os
import sys
from pathlib import Path

# Only the standard library up here: the arguments are parsed (and --help
# answered) before PIL and cavmae_mm (torch, OpenCV) are imported.


def outputs(out_dir: Path, video: str, num_frames: int):
    return [
        out_dir / f'frame_{i}' / f'{Path(video).stem}.jpg'
        for i in range(num_frames)
    ]


def extract_one(video: str, out_dir: str, num_frames: int, size: int):
    """Writes one video's frames; returns None or the failure reason."""
    from PIL import Image

    from cavmae_mm.datasets.transforms.frames import resize_center_crop
    from cavmae_mm.utils.video_io import MediaError, read_official_frames
    try:
        frames, _ = read_official_frames(video, num_frames)
    except (MediaError, FileNotFoundError) as err:
        return str(err)
    for target, frame in zip(
            outputs(Path(out_dir), video, num_frames), frames, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix('.part.jpg')
        resize_center_crop(Image.fromarray(frame), size, 'bilinear').save(
            partial, format='JPEG', quality=75)
        os.replace(partial, target)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog='Example: python tools/data/extract_frames.py videos/ frames/')
    parser.add_argument(
        'videos', help='folder of videos, a video or a '
        'list file')
    parser.add_argument('out_dir', help='where frame_{i}/{video_id}.jpg go')
    parser.add_argument(
        '--workers', type=int, default=1, help='extraction processes')
    parser.add_argument(
        '--recursive',
        action='store_true',
        help='also the videos of sub-folders')
    parser.add_argument(
        '--num-frames',
        type=int,
        default=10,
        help='evenly spaced frames per video')
    parser.add_argument(
        '--size',
        type=int,
        default=224,
        help='side of the centre-cropped square (pixels)')
    args = parser.parse_args(argv)
    # the shared job runner of this folder (a helper module, not a tool)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from batch_jobs import list_inputs, run_extraction
    try:
        videos = list_inputs(args.videos, recursive=args.recursive)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    code, summary = run_extraction(
        videos, out_dir,
        lambda v: all(p.is_file()
                      for p in outputs(out_dir, v, args.num_frames)),
        functools.partial(
            extract_one,
            out_dir=str(out_dir),
            num_frames=args.num_frames,
            size=args.size), args.workers, 'extract_frames')
    print(f'\n{summary}')
    return code


if __name__ == '__main__':
    sys.exit(main())
