#!/usr/bin/env python
"""Extract 16 kHz mono wavs (first channel) from videos.

    python tools/data/extract_audio.py VIDEOS OUT_DIR [--workers 4]

VIDEOS is a folder of videos or a text file of video paths (one per line).
Writes OUT_DIR/{video_id}.wav (video_id = file name without extension),
skipping those already there (resumable). Decoding uses PyAV, which ships its
own FFmpeg. Failures are listed with their reason in
OUT_DIR/extract_audio_failures.tsv; the exit code is 1 if any failed.
"""
import argparse
import functools
import os
import sys
from pathlib import Path

# Only the standard library up here: the arguments are parsed (and --help
# answered) before soundfile and cavmae_mm (torch) are imported.


def extract_one(video: str, out_dir: str, sample_rate: int):
    """Writes one wav; returns None or the reason it failed."""
    import soundfile

    from cavmae_mm.utils.video_io import MediaError, read_audio_track
    target = Path(out_dir) / f'{Path(video).stem}.wav'
    try:
        wave = read_audio_track(video, sample_rate)
    except (MediaError, FileNotFoundError) as err:
        return str(err)
    partial = target.with_suffix('.part.wav')
    soundfile.write(partial, wave, sample_rate, subtype='PCM_16')
    os.replace(partial, target)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog='Example: python tools/data/extract_audio.py videos/ audio/')
    parser.add_argument(
        'videos', help='folder of videos, a video or a '
        'list file')
    parser.add_argument('out_dir', help='where {video_id}.wav go')
    parser.add_argument(
        '--workers', type=int, default=1, help='extraction processes')
    parser.add_argument(
        '--recursive',
        action='store_true',
        help='also the videos of sub-folders')
    parser.add_argument(
        '--sample-rate',
        type=int,
        default=16000,
        help='sample rate of the wavs (Hz)')
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
        videos, out_dir, lambda v: (out_dir / f'{Path(v).stem}.wav').is_file(),
        functools.partial(
            extract_one, out_dir=str(out_dir), sample_rate=args.sample_rate),
        args.workers, 'extract_audio')
    print(f'\n{summary}')
    return code


if __name__ == '__main__':
    sys.exit(main())
