#!/usr/bin/env python
"""Write a small synthetic audio-visual set of real video files.

    python tools/data/make_synthetic.py OUT_DIR [--num-classes 3] \
        [--per-class 8]

Each clip of class c shows a frame tinted with the class's colour, with a
square of random size moving over it, and plays the class's tone (with a
random amplitude and background noise), so that both modalities tell the
class. Writes OUT_DIR/videos/{video_id}.mp4 (MPEG-4 video, AAC audio, via
PyAV), OUT_DIR/labels.csv (index,mid,display_name), OUT_DIR/labels_simple.csv
(video_id,mid) and OUT_DIR/datalist.json, whose wav and video_path point to
where tools/data/extract_audio.py and extract_frames.py put their outputs
(audio/{video_id}.wav and frames/frame_{i}/...), relative to OUT_DIR. With
--long SECONDS also a long recording whose class changes every
--change-every seconds (long.mp4, and its segments in long.json), to try
the window-by-window classification of tools/infer.py.
"""
import colorsys
import csv
import json
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before numpy and PyAV are imported.

TONES_HZ = (330.0, 660.0, 1320.0, 2640.0, 495.0, 990.0, 1980.0, 3960.0)


def class_colour(index: int, num_classes: int):
    """The class's RGB colour (a numpy array, 0-255)."""
    import numpy as np
    r, g, b = colorsys.hsv_to_rgb(index / num_classes, 0.8, 0.9)
    return np.array([r, g, b]) * 255


def write_clip(path: Path, colour, tone: float, seconds: float, size: int,
               fps: int, sample_rate: int, rng) -> None:
    """One clip; ``colour`` an RGB numpy array, ``rng`` a numpy
    Generator."""
    import av
    import numpy as np
    width, height = size * 4 // 3 // 2 * 2, size // 2 * 2
    with av.open(str(path), 'w') as container:
        video = container.add_stream('mpeg4', rate=fps)
        video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
        audio = container.add_stream('aac', rate=sample_rate)
        audio.layout = 'mono'
        side = int(rng.integers(height // 4, height // 2))
        x, y = rng.integers(0, width - side), rng.integers(0, height - side)
        dx, dy = rng.choice([-2, 2]), rng.choice([-2, 2])
        for _ in range(int(seconds * fps)):
            pixels = np.empty((height, width, 3))
            pixels[:] = colour * rng.uniform(0.8, 1.0)
            pixels += rng.normal(0, 8, pixels.shape)
            pixels[y:y + side, x:x + side] = 255 - colour
            frame = av.VideoFrame.from_ndarray(
                pixels.clip(0, 255).astype(np.uint8), format='rgb24')
            container.mux(video.encode(frame))
            x = int(np.clip(x + dx, 0, width - side))
            y = int(np.clip(y + dy, 0, height - side))
        t = np.arange(int(seconds * sample_rate)) / sample_rate
        wave = rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * tone * t +
                                              rng.uniform(0, 2 * np.pi))
        wave += rng.normal(0, 0.02, t.shape)
        chunk = 1024
        for start in range(0, len(wave), chunk):
            piece = wave[None, start:start + chunk].astype(np.float32)
            frame = av.AudioFrame.from_ndarray(
                piece, format='fltp', layout='mono')
            frame.sample_rate = sample_rate
            frame.pts = start
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
        container.mux(video.encode(None))


def write_long(path: Path, classes, change_every: float, seconds: float,
               num_classes: int, size: int, fps: int, sample_rate: int,
               rng) -> list:
    """A long recording whose class (tone and colour) changes every
    ``change_every`` seconds, cycling through ``classes``; written second
    by second (bounded memory whatever its length). Returns its segments
    ``[dict(start, end, index)]``."""
    import av
    import numpy as np
    width, height = size * 4 // 3 // 2 * 2, size // 2 * 2
    segments = []
    with av.open(str(path), 'w') as container:
        video = container.add_stream('mpeg4', rate=fps)
        video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
        audio = container.add_stream('aac', rate=sample_rate)
        audio.layout = 'mono'
        written = 0  # audio samples
        for second in range(int(np.ceil(seconds))):
            part = int(second // change_every) % len(classes)
            index = classes[part]
            if not segments or segments[-1]['index'] != index:
                segments.append(dict(start=float(second), index=index))
            colour = class_colour(index, num_classes)
            for _ in range(fps):
                pixels = np.empty((height, width, 3))
                pixels[:] = colour * rng.uniform(0.8, 1.0)
                pixels += rng.normal(0, 8, pixels.shape)
                frame = av.VideoFrame.from_ndarray(
                    pixels.clip(0, 255).astype(np.uint8), format='rgb24')
                container.mux(video.encode(frame))
            t = (written + np.arange(sample_rate)) / sample_rate
            wave = 0.3 * np.sin(2 * np.pi * TONES_HZ[index] * t)
            wave += rng.normal(0, 0.02, t.shape)
            for start in range(0, sample_rate, 1024):
                piece = wave[None, start:start + 1024].astype(np.float32)
                frame = av.AudioFrame.from_ndarray(
                    piece, format='fltp', layout='mono')
                frame.sample_rate = sample_rate
                frame.pts = written + start
                container.mux(audio.encode(frame))
            written += sample_rate
        container.mux(audio.encode(None))
        container.mux(video.encode(None))
    for i, segment in enumerate(segments):
        segment['end'] = segments[i + 1]['start'] if i + 1 < len(segments) \
            else float(np.ceil(seconds))
    return segments


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('out_dir', help='folder to write the set to')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=3,
        help=f'classes (1 to {len(TONES_HZ)})')
    parser.add_argument(
        '--per-class', type=int, default=8, help='clips per class')
    parser.add_argument(
        '--seconds', type=float, default=2.0, help='clip length')
    parser.add_argument(
        '--size', type=int, default=96, help='frame height in pixels')
    parser.add_argument(
        '--fps', type=int, default=10, help='frames per second')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the random sizes, paths and noise')
    parser.add_argument(
        '--long',
        type=float,
        metavar='SECONDS',
        help='also write OUT_DIR/long.mp4, a recording of this length whose '
        'class changes every --change-every seconds (cycling through the '
        'classes), and OUT_DIR/long.json, its segments')
    parser.add_argument(
        '--change-every',
        type=float,
        default=180.0,
        help='seconds between class changes of --long')
    args = parser.parse_args(argv)
    if not 1 <= args.num_classes <= len(TONES_HZ):
        parser.error(f'--num-classes must be in [1, {len(TONES_HZ)}]')
    import numpy as np
    out = Path(args.out_dir)
    (out / 'videos').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    with open(out / 'labels.csv', 'w', newline='') as handle:
        writer = csv.writer(handle)
        writer.writerow(['index', 'mid', 'display_name'])
        for c in range(args.num_classes):
            writer.writerow(
                [c, f'/synthetic/c{c}', f'tone {TONES_HZ[c]:g} Hz'])
    entries, simple = [], []
    for c in range(args.num_classes):
        for k in range(args.per_class):
            video_id = f'c{c}_{k:03d}'
            write_clip(out / 'videos' / f'{video_id}.mp4',
                       class_colour(c, args.num_classes), TONES_HZ[c],
                       args.seconds, args.size, args.fps, 16000, rng)
            entries.append(
                dict(
                    video_id=video_id,
                    wav=f'audio/{video_id}.wav',
                    video_path='frames',
                    labels=f'/synthetic/c{c}'))
            simple.append(f'{video_id},/synthetic/c{c}\n')
    (out / 'datalist.json').write_text(
        json.dumps(dict(data=entries), indent=1))
    (out / 'labels_simple.csv').write_text(''.join(simple))
    print(f'{out}: {len(entries)} clips of {args.num_classes} classes')
    if args.long:
        segments = write_long(out / 'long.mp4', list(range(args.num_classes)),
                              args.change_every, args.long, args.num_classes,
                              args.size, args.fps, 16000, rng)
        (out / 'long.json').write_text(
            json.dumps(dict(video='long.mp4', segments=segments), indent=1))
        print(f'{out / "long.mp4"}: {args.long:g} s, {len(segments)} '
              'segments (long.json)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
