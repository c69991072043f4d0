#!/usr/bin/env python
"""Extract 16 kHz mono wavs (first channel) from videos.

    python tools/data/extract_audio.py VIDEOS OUT_DIR [--workers 4]

VIDEOS is a folder of videos or a text file of video paths (one per line).
Writes OUT_DIR/{video_id}.wav (video_id = file name without extension),
skipping those already there (resumable). Decoding uses PyAV, which ships its
own FFmpeg. Failures are listed with their reason in
OUT_DIR/extract_audio_failures.tsv; the exit code is 1 if any failed.
"""
import os
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402
from batch_jobs import add_extraction_args, extract_videos  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before soundfile and cavmae_mm (torch) are imported.


def outputs(out_dir: Path, video: str):
    """The file a video's extraction writes."""
    return [out_dir / f'{Path(video).stem}.wav']


def extract_one(video: str, out_dir: str, sample_rate: int):
    """Writes one wav; returns None or the reason it failed."""
    import soundfile

    from cavmae_mm.utils.video_io import MediaError, read_audio_track
    target, = outputs(Path(out_dir), video)
    try:
        wave = read_audio_track(video, sample_rate)
    except (MediaError, FileNotFoundError) as err:
        return str(err)
    partial = target.with_suffix('.part.wav')
    soundfile.write(partial, wave, sample_rate, subtype='PCM_16')
    os.replace(partial, target)
    return None


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    add_extraction_args(parser, 'where {video_id}.wav go')
    parser.add_argument(
        '--sample-rate',
        type=int,
        default=16000,
        help='sample rate of the wavs (Hz)')
    args = parser.parse_args(argv)
    return extract_videos(
        args,
        'extract_audio',
        outputs,
        extract_one,
        sample_rate=args.sample_rate)


if __name__ == '__main__':
    sys.exit(main())
