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
import functools
import os
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402
from batch_jobs import add_extraction_args, extract_videos  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before PIL and cavmae_mm (torch, OpenCV) are imported.


def outputs(out_dir: Path, video: str, num_frames: int):
    """The files a video's extraction writes."""
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
    parser = cli_common.make_parser(__doc__)
    add_extraction_args(parser, 'where frame_{i}/{video_id}.jpg go')
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
    return extract_videos(
        args,
        'extract_frames',
        functools.partial(outputs, num_frames=args.num_frames),
        extract_one,
        num_frames=args.num_frames,
        size=args.size)


if __name__ == '__main__':
    sys.exit(main())
