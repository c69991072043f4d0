"""Pictures and playable results of a long-file classification.

A long recording is classified window by window (``tools/infer.py
--window/--stride``); its result dict (also written as JSON) holds, besides
the file-level ``predictions``, one entry per window in time order::

    {'input': 'file.mp4', 'modality': 'audio_visual', 'duration': 1200.0,
     'window': 10.24, 'stride': 5.12, 'aggregation': 'max',
     'predictions': [{'label': 'Dog', 'index': 74, 'score': 0.91}, ...],
     'segments': [{'start': 0.0, 'end': 10.24,
                   'predictions': [{'label': ..., 'index': ...,
                                    'score': ...}, ...]}, ...]}

This module turns it into a subtitle file that any player shows over the
original file (:func:`write_subtitles`), a timeline figure of the top
classes' scores (:func:`plot_timeline`) and an annotated copy of the video
with the original audio (:func:`annotate_video`). All three show, at time
``t``, the window whose centre is nearest to ``t`` (:func:`display_intervals`),
so that they agree with each other.
"""
import bisect
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import av
import numpy as np
from mmengine.logging import print_log
from PIL import Image, ImageDraw, ImageFont

from cavmae_mm.utils.video_io import MediaError

PathLike = Union[str, Path]

#: Subtitle formats :func:`write_subtitles` writes, by file suffix.
SUBTITLE_SUFFIXES = ('.vtt', '.srt')
#: Figure formats :func:`plot_timeline` writes, by file suffix.
PLOT_SUFFIXES = ('.png', '.svg')
#: Containers :func:`annotate_video` writes, by file suffix.
VIDEO_SUFFIXES = {'.mp4': 'mp4', '.mov': 'mov', '.mkv': 'matroska'}

# Between the labels of one cue / one line of the figure's title.
_SEPARATOR = ' \u00b7 '


# ---------------------------------------------------------------------------
# Windows and their display intervals
# ---------------------------------------------------------------------------
def _segments(result: dict) -> List[dict]:
    """``result['segments']``, checked."""
    segments = result.get('segments') if isinstance(result, dict) else None
    if segments is None:
        raise ValueError(
            "the result has no 'segments' (per-window predictions); it is "
            'not a long-file result (classify with --window/--stride)')
    return list(segments)


def _duration(result: dict, segments: Sequence[dict]) -> float:
    """The file's duration: ``result['duration']``, else the last window's
    end."""
    duration = result.get('duration')
    if duration is None:
        if not segments:
            raise ValueError("the result has neither 'duration' nor segments")
        duration = max(float(s['end']) for s in segments)
    return float(duration)


def display_intervals(
        segments: Sequence[dict],
        duration: Optional[float] = None) -> List[Tuple[float, float]]:
    """The stretch of the timeline on which each window's labels are shown.

    With a stride shorter than the window, windows overlap, so "the labels
    at time ``t``" needs a choice: each window is given the part of the
    timeline closer to its centre (``(start + end) / 2``) than to its
    neighbours' centres. The boundary between windows ``i`` and ``i + 1`` is
    the midpoint of their centres; the first interval starts at 0 and the
    last one ends at ``duration``. With windows of one length (the sliding
    windows, stride <= window) every time ``t`` thus falls in the interval
    of the window whose centre is nearest (ties go to the later window), and
    with ``stride == window`` the intervals are the windows themselves.

    Where two neighbours differ in length (a last window cut at the end of
    the file) the midpoint could fall outside their overlap; the boundary
    is then moved to the nearest edge of the overlap (of the gap, if they do
    not overlap), so that a time covered by some window is always shown with
    a window that covers it.

    The intervals are contiguous, do not overlap and cover
    ``[0, duration]``. Boundaries are clipped to ``[0, duration]`` and kept
    in order, so a window whose centre lies beyond the end (or a window
    inside its neighbours) may get an empty interval ``(t, t)``.

    Args:
        segments (sequence of dict): The windows, each with ``start`` and
            ``end`` in seconds, in time order.
        duration (float, optional): The file's duration in seconds. Defaults
            to the last window's end.

    Returns:
        list of tuple: One ``(start, end)`` in seconds per window.

    Raises:
        ValueError: The windows are not in time order, a window ends before
            it starts, or the duration is not positive.
    """
    if not segments:
        return []
    spans = []
    for i, segment in enumerate(segments):
        start, end = float(segment['start']), float(segment['end'])
        if not (math.isfinite(start) and math.isfinite(end)) or end < start:
            raise ValueError(f'window {i} has start {start} and end {end}')
        spans.append((start, end))
    centres = [(start + end) / 2 for start, end in spans]
    if any(b < a for a, b in zip(centres, centres[1:])):
        raise ValueError('the windows are not in time order')
    if duration is None:
        duration = max(end for _, end in spans)
    duration = float(duration)
    if not duration > 0:
        raise ValueError(f'the duration must be positive, got {duration}')
    cuts = [0.0]
    for (_, end), (start, _), left, right in zip(spans, spans[1:], centres,
                                                 centres[1:]):
        low, high = min(start, end), max(start, end)
        cut = min(max((left + right) / 2, low), high)
        cuts.append(min(max(cut, cuts[-1]), duration))
    cuts.append(duration)
    return list(zip(cuts[:-1], cuts[1:]))


def _top_predictions(segment: dict, top: int) -> List[Tuple[str, float]]:
    """The window's ``top`` (label, score) pairs, highest score first."""
    pairs = []
    for pred in segment.get('predictions', ()):
        label = pred.get('label')
        if label is None:
            label = str(pred.get('index', '?'))
        pairs.append((str(label), float(pred['score'])))
    pairs.sort(key=lambda pair: -pair[1])
    return pairs[:top]


def _one_line(text: str) -> str:
    """``text`` without line breaks (they would end a cue)."""
    return ' '.join(text.split())


# ---------------------------------------------------------------------------
# Subtitles
# ---------------------------------------------------------------------------
def _timestamp(seconds: float, decimal: str) -> str:
    """``HH:MM:SS.mmm`` (hours may exceed 99) with ``decimal`` before the
    milliseconds."""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f'{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}'


def _escape_vtt(text: str) -> str:
    """WebVTT cue text: ``&``, ``<`` and ``>`` as character references
    (which also rules out ``-->``)."""
    return (text.replace('&', '&amp;').replace('<',
                                               '&lt;').replace('>', '&gt;'))


def write_subtitles(result: dict, path: PathLike, top: int = 3) -> Path:
    """Writes the labels of each window as subtitles (WebVTT or SubRip).

    One cue per window, shown over the window's display interval
    (:func:`display_intervals`), holding its ``top`` labels and scores on
    one line, e.g. ``Dog 0.91 · Bark 0.85 · Speech 0.20``. Consecutive cues
    with the same text are not merged (one cue per window). Windows whose
    interval is shorter than a millisecond, or without predictions, get no
    cue. The file is UTF-8; WebVTT label text is escaped (``&``, ``<``,
    ``>``), SubRip has no escapes; line breaks in labels become spaces.

    Args:
        result (dict): A long-file result (see the module docstring).
        path (str or Path): The output file; its suffix picks the format:
            ``.vtt`` (WebVTT, ``00:01:02.345``) or ``.srt`` (SubRip,
            ``00:01:02,345``). Missing folders are created.
        top (int): Labels per cue. Defaults to 3.

    Returns:
        Path: ``path``.

    Raises:
        ValueError: Another suffix (the message names the path), ``top``
            below 1, or a result without segments.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUBTITLE_SUFFIXES:
        raise ValueError(f'{path}: subtitles are written as WebVTT (.vtt) '
                         f'or SubRip (.srt), not {path.suffix or "no suffix"}')
    if top < 1:
        raise ValueError(f'top must be at least 1, got {top}')
    segments = _segments(result)
    intervals = display_intervals(segments, _duration(result, segments))
    vtt = suffix == '.vtt'
    decimal = '.' if vtt else ','
    blocks = []
    if vtt:
        header = 'WEBVTT'
        source = result.get('input')
        if source:
            note = _one_line(
                f'NOTE labels per window of {Path(str(source)).name}'
                f' (window {result.get("window")} s, stride '
                f'{result.get("stride")} s), written by cavmae_mm')
            header += '\n\n' + note.replace('-->', '->')
        blocks.append(header)
    number = 0
    for segment, (start, end) in zip(segments, intervals):
        pairs = _top_predictions(segment, top)
        start_text = _timestamp(start, decimal)
        end_text = _timestamp(end, decimal)
        if not pairs or start_text == end_text:
            continue
        text = _SEPARATOR.join(f'{_one_line(label)} {score:.2f}'
                               for label, score in pairs)
        if vtt:
            text = _escape_vtt(text)
        number += 1
        blocks.append(f'{number}\n{start_text} --> {end_text}\n{text}')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n\n'.join(blocks) + '\n', encoding='utf-8')
    return path


# ---------------------------------------------------------------------------
# Timeline figure
# ---------------------------------------------------------------------------
def _choose_classes(result: dict, scores: np.ndarray, count: int) -> List[int]:
    """The file-level predictions' classes in order, then the classes with
    the highest score over windows, ``count`` in all."""
    chosen: List[int] = []
    for pred in result.get('predictions') or ():
        index = pred.get('index')
        if (index is not None and 0 <= int(index) < scores.shape[1]
                and int(index) not in chosen):
            chosen.append(int(index))
    chosen = chosen[:count]
    if len(chosen) < count:
        for index in np.argsort(-scores.max(axis=0), kind='stable'):
            if len(chosen) == count:
                break
            if int(index) not in chosen:
                chosen.append(int(index))
    return chosen


def _clock(seconds: float, with_hours: bool) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if with_hours:
        return f'{hours}:{minutes:02d}:{secs:02d}'
    return f'{hours * 60 + minutes}:{secs:02d}'


def _tick_step(duration: float) -> float:
    """A round time step giving at most about 12 ticks over ``duration``."""
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600,
             7200, 14400)
    for step in steps:
        if duration / step <= 12:
            return float(step)
    return float(math.ceil(duration / 12 / 3600) * 3600)


def plot_timeline(result: dict,
                  scores,
                  class_names: Sequence[str],
                  path: PathLike,
                  top_classes: int = 5,
                  title: Optional[str] = None) -> Path:
    """Draws the top classes' scores over time (PNG or SVG).

    One line per class: the ``top_classes`` classes of the file-level
    ``result['predictions']`` in their order, completed (when it has fewer)
    with the classes of highest score over the windows. Each line is a step
    plot: a window's score is drawn flat over its display interval
    (:func:`display_intervals`), the stretch on which the subtitles and the
    annotated video show that window, so one path per class whatever the
    length (no markers). The time axis is in seconds up to 2 minutes, then
    ``m:ss``, from an hour ``h:mm:ss``, with round steps; the score axis is
    0-1 when all scores lie there (sigmoid or softmax), else fitted. The
    figure is 12 x 4.5 inches (1200 x 450 px for PNG at 100 dpi) whatever
    the duration; the legend, outside on the right, names the classes; the
    default title names the file and how the file-level result was
    aggregated. Drawn with Matplotlib's object API and Agg (no display, no
    pyplot state).

    Args:
        result (dict): A long-file result (see the module docstring).
        scores (array-like): Every class's score per window,
            [num_windows, num_classes], windows in the order of
            ``result['segments']``.
        class_names (sequence of str): The name of each class.
        path (str or Path): The output file, ``.png`` or ``.svg``. Missing
            folders are created.
        top_classes (int): Classes drawn. Defaults to 5.
        title (str, optional): The figure's title. Defaults to the file name
            and the aggregation.

    Returns:
        Path: ``path``.

    Raises:
        ValueError: Another suffix (the message names the path), scores that
            do not match the windows or the class names, or no windows.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f'{path}: the timeline is drawn as PNG (.png) or '
                         f'SVG (.svg), not {path.suffix or "no suffix"}')
    if top_classes < 1:
        raise ValueError(f'top_classes must be at least 1, got {top_classes}')
    segments = _segments(result)
    if not segments:
        raise ValueError('the result has no windows to draw')
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape != (len(segments), len(class_names)):
        raise ValueError(
            f'scores must be [num_windows, num_classes] = '
            f'[{len(segments)}, {len(class_names)}], got {list(scores.shape)}')
    duration = _duration(result, segments)
    intervals = display_intervals(segments, duration)
    edges = np.array([intervals[0][0]] + [end for _, end in intervals])
    classes = _choose_classes(result, scores, min(top_classes,
                                                  scores.shape[1]))

    figure = Figure(figsize=(12, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = [f'C{i % 10}' for i in range(len(classes))]
    for index, colour in zip(classes, colours):
        axes.stairs(
            scores[:, index],
            edges,
            baseline=None,
            color=colour,
            linewidth=1.6,
            label=str(class_names[index]))
    axes.set_xlim(0, duration)
    finite = scores[:, classes][np.isfinite(scores[:, classes])]
    if finite.size and finite.min() >= 0 and finite.max() <= 1:
        axes.set_ylim(-0.02, 1.02)
        axes.set_ylabel('score (0-1)')
    else:
        axes.set_ylabel('score')
    step = _tick_step(duration)
    axes.xaxis.set_major_locator(MultipleLocator(step))
    if duration <= 120:
        axes.set_xlabel('time (s)')
    else:
        with_hours = duration >= 3600
        axes.xaxis.set_major_formatter(
            FuncFormatter(lambda value, _: _clock(value, with_hours)))
        axes.set_xlabel('time (h:mm:ss)' if with_hours else 'time (m:ss)')
    axes.grid(True, alpha=0.3)
    axes.legend(
        loc='upper left',
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        title='class',
        fontsize='small')
    if title is None:
        name = Path(str(result.get('input', 'input'))).name
        title = (f'{name}: top {len(classes)} classes over time\n'
                 f'file level: {result.get("aggregation", "?")} over '
                 f'{len(segments)} windows of {result.get("window", "?")} s, '
                 f'stride {result.get("stride", "?")} s')
    axes.set_title(title, fontsize='medium')
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format=path.suffix.lower()[1:])
    return path


# ---------------------------------------------------------------------------
# Annotated video
# ---------------------------------------------------------------------------
def _label_font(size: int) -> ImageFont.ImageFont:
    """DejaVu Sans (shipped with Matplotlib; Latin, Greek and Cyrillic
    letters) at ``size`` px, else Pillow's default font (ASCII only)."""
    try:
        import matplotlib
        path = Path(matplotlib.get_data_path()) / 'fonts/ttf/DejaVuSans.ttf'
        return ImageFont.truetype(str(path), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


class _LabelBox:
    """The label box of one window, rendered once, blended on frames.

    A dark, half-transparent box in the top-left corner with one line per
    label (``label score``) in white DejaVu Sans (:func:`_label_font`), the
    font's size about 1/22 of the frame's height (10 px at least); lines
    wider than the frame are cut with an ellipsis.
    """

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.size = max(10, round(height / 22))
        self.font = _label_font(self.size)
        self.margin = max(2, round(height / 60))
        self.pad = max(2, round(self.size / 3))
        self.cache: Dict[int, Tuple[int, int, np.ndarray, np.ndarray]] = {}

    def _fit(self, draw: ImageDraw.ImageDraw, text: str, room: int) -> str:
        """``text``, cut with an ellipsis to fit ``room`` pixels."""
        if draw.textlength(text, font=self.font) <= room:
            return text
        while text and draw.textlength(text + '\u2026', font=self.font) > room:
            text = text[:-1]
        return text + '\u2026'

    def render(self, key: int, lines: Sequence[str]):
        """The box of ``lines``: (x, y, RGB uint8 [h, w, 3], alpha uint16
        [h, w, 1]), or None when there is nothing to draw or no room."""
        if key in self.cache:
            return self.cache[key]
        box = None
        room = self.width - 2 * self.margin - 2 * self.pad
        if lines and room > 0:
            scratch = ImageDraw.Draw(Image.new('L', (1, 1)))
            lines = [self._fit(scratch, line, room) for line in lines]
            line_height = round(self.size * 1.25)
            box_w = min(
                self.width - 2 * self.margin, 2 * self.pad + math.ceil(
                    max(
                        scratch.textlength(line, font=self.font)
                        for line in lines)))
            box_h = min(self.height - 2 * self.margin,
                        2 * self.pad + line_height * len(lines))
            if box_w > 0 and box_h > 0:
                text = Image.new('L', (box_w, box_h), 0)
                draw = ImageDraw.Draw(text)
                for i, line in enumerate(lines):
                    draw.text((self.pad, self.pad + i * line_height),
                              line,
                              fill=255,
                              font=self.font)
                coverage = np.asarray(text, dtype=np.uint16)[..., None]
                alpha = np.maximum(coverage, 180)
                colour = np.repeat(coverage, 3, axis=2)
                box = (self.margin, self.margin, colour, alpha)
        self.cache = {key: box}  # frames come in time order: keep one
        return box

    @staticmethod
    def blend(pixels: np.ndarray, box) -> None:
        """Draws ``box`` on ``pixels`` (RGB uint8 [H, W, 3]) in place."""
        x, y, colour, alpha = box
        height, width = colour.shape[:2]
        region = pixels[y:y + height, x:x + width].astype(np.uint16)
        region = (region * (255 - alpha) + colour * alpha + 127) // 255
        pixels[y:y + height, x:x + width] = region.astype(np.uint8)


def _video_codec() -> str:
    """libx264 when PyAV's FFmpeg has it, else mpeg4."""
    return 'libx264' if 'libx264' in av.codecs_available else 'mpeg4'


def _can_copy_audio(container_format: str, template) -> bool:
    """Whether ``container_format`` takes ``template``'s audio packets as
    they are (tried on an in-memory file)."""
    import io
    try:
        with av.open(io.BytesIO(), 'w', format=container_format) as probe:
            probe.add_stream_from_template(template)
            probe.start_encoding()
        return True
    except (av.FFmpegError, ValueError, TypeError):
        return False


def _quarter_turns(path: Path) -> int:
    """How many quarter turns counterclockwise (``np.rot90``'s ``k``) the
    first frame's display matrix asks for (phones store portrait videos
    sideways with a rotation), 0 when none or not a multiple of 90.

    Raises:
        MediaError: The first frame cannot be decoded.
    """
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                rotation = frame.rotation or 0
                return round(rotation / 90) % 4 if rotation % 90 == 0 else 0
    except av.FFmpegError as err:
        raise MediaError(f'{path}: cannot decode its first frame ({err})') \
            from err
    raise MediaError(f'{path}: no decodable video frames')


def _seconds(value, time_base) -> Optional[float]:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def annotate_video(
        video_path: PathLike,
        result: dict,
        out_path: PathLike,
        top: int = 3,
        progress: Optional[Callable[[int, int], None]] = None) -> Path:
    """Writes a copy of a video with the current labels drawn on its frames.

    Each frame shows, in a box in its top-left corner, the ``top`` labels
    and scores of the window whose display interval (:func:`display_
    intervals`) holds the frame's time (its timestamp less the video
    stream's start time). The frames are streamed (decode, draw, encode one
    at a time; memory does not grow with the length), keeping each frame's
    timestamp, so the copy has the same frame rate, frames and duration.
    The video is encoded with libx264 (CRF 20, yuv420p) when PyAV's FFmpeg
    has it, else MPEG-4 part 2; odd widths or heights lose their last pixel
    column or row (the encoders need even sizes). The first audio stream's
    packets are copied unchanged (the original sound, not re-encoded);
    only when the output container cannot hold its codec is it re-encoded
    to AAC (logged). A video without audio gives a copy without audio.
    MP4 and MOV keep the trim of AAC's encoder delay (edit list), so the
    copy decodes to the source's samples; Matroska has no such trim for
    AAC, so there the copied track starts with its 1024 delay samples (as
    with ``ffmpeg -c:a copy``; audio and video stay in sync). Browsers play
    the MP4 (H.264, AAC) output.
    A display rotation (portrait videos from phones) is applied to the
    pixels, as FFmpeg's command line does by default, so the copy and its
    label box stand upright without one. The output is written next to
    ``out_path`` under a temporary name and renamed when complete.

    Args:
        video_path (str or Path): The source video.
        result (dict): Its long-file result (see the module docstring).
        out_path (str or Path): The annotated copy, ``.mp4``, ``.mov`` or
            ``.mkv``. Missing folders are created.
        top (int): Labels drawn. Defaults to 3.
        progress (callable, optional): Called as ``progress(done_frames,
            total_frames)`` after each frame; ``total_frames`` is the
            stream's frame count, or estimated from its duration and frame
            rate when the container does not say.

    Returns:
        Path: ``out_path``.

    Raises:
        FileNotFoundError: The video does not exist.
        MediaError: It has no video stream or cannot be decoded, or the copy
            cannot be encoded (the message names the file and the reason).
        ValueError: Another output suffix, ``out_path`` is the source,
            ``top`` below 1, or a result without windows.
    """
    video_path, out_path = Path(video_path), Path(out_path)
    container_format = VIDEO_SUFFIXES.get(out_path.suffix.lower())
    if container_format is None:
        suffix = out_path.suffix or 'no suffix'
        raise ValueError(f'{out_path}: the annotated video is written as '
                         f'{", ".join(VIDEO_SUFFIXES)}, not {suffix}')
    if top < 1:
        raise ValueError(f'top must be at least 1, got {top}')
    if not video_path.is_file():
        raise FileNotFoundError(f'{video_path}: file not found')
    if out_path.resolve() == video_path.resolve():
        raise ValueError(f'{out_path}: the annotated copy would overwrite '
                         'its source')
    segments = _segments(result)
    if not segments:
        raise ValueError('the result has no windows to draw')
    intervals = display_intervals(segments, _duration(result, segments))
    starts = [start for start, _ in intervals]
    lines = [[f'{_one_line(label)} {score:.2f}' for label, score in pairs]
             for pairs in (_top_predictions(s, top) for s in segments)]

    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f'.{out_path.stem}.partial{out_path.suffix}')
    try:
        _annotate(video_path, partial, container_format, starts, lines,
                  progress, result)
        os.replace(partial, out_path)
    finally:
        if partial.exists():
            partial.unlink()
    return out_path


def _annotate(video_path: Path, out_path: Path, container_format: str,
              starts: List[float], lines: List[List[str]],
              progress: Optional[Callable[[int, int],
                                          None]], result: dict) -> None:
    """:func:`annotate_video`'s streaming loop, writing ``out_path``."""
    try:
        source = av.open(str(video_path))
    except av.FFmpegError as err:
        raise MediaError(
            f'{video_path}: not a readable media file ({err})') from err
    with source:
        if not source.streams.video:
            raise MediaError(f'{video_path}: no video stream to annotate '
                             '(subtitles and the timeline need none)')
        in_video = source.streams.video[0]
        in_video.thread_type = 'AUTO'
        in_audio = source.streams.audio[0] if source.streams.audio else None
        rate = in_video.average_rate or in_video.guessed_rate
        if not rate or rate <= 0:
            raise MediaError(f'{video_path}: unknown frame rate')
        time_base = in_video.time_base
        offset = (in_video.start_time or 0) * time_base  # a Fraction
        duration = _seconds(in_video.duration, time_base)
        if duration is None and source.duration is not None:
            duration = source.duration / 1e6
        total = int(in_video.frames or round((duration or 0) * rate))
        expected = result.get('duration')
        if expected and duration and abs(duration - float(expected)) > max(
                1.0, float(result.get('window') or 0)):
            print_log(
                f'{video_path}: lasts {duration:.1f} s but the result is '
                f'for {float(expected):.1f} s; is it the right file?',
                logger='current')

        turns = _quarter_turns(video_path)
        width, height = in_video.codec_context.width, \
            in_video.codec_context.height
        if turns % 2:
            width, height = height, width
        width, height = width // 2 * 2, height // 2 * 2
        if width < 2 or height < 2:
            raise MediaError(f'{video_path}: frames of {width}x{height} px '
                             'cannot be encoded')
        copy_audio = in_audio is not None and _can_copy_audio(
            container_format, in_audio)
        if in_audio is not None and not copy_audio:
            print_log(
                f'{video_path}: the {out_path.suffix} container cannot '
                f'hold its {in_audio.codec_context.name} audio as it is; '
                'the audio is re-encoded to AAC',
                logger='current')
        options = {
            'movflags': '+faststart'
        } if container_format in ('mp4', 'mov') else {}
        try:
            output = av.open(
                str(out_path), 'w', format=container_format, options=options)
        except av.FFmpegError as err:
            raise MediaError(f'{out_path}: cannot write ({err})') from err
        with output:
            codec = _video_codec()
            out_video = output.add_stream(
                codec,
                rate=rate,
                options={
                    'crf': '20',
                    'preset': 'veryfast'
                } if codec == 'libx264' else {})
            out_video.width, out_video.height = width, height
            out_video.pix_fmt = 'yuv420p'
            if codec == 'mpeg4':
                out_video.bit_rate = int(
                    max(1_000_000,
                        width * height * float(rate) * 0.2))
            # the source's time base keeps every timestamp; MPEG-4 part 2
            # takes denominators up to 65535 only
            if codec == 'libx264' or time_base.denominator <= 65535:
                codec_base = time_base
            else:
                codec_base = Fraction(1, 1) / rate
            out_video.codec_context.time_base = codec_base
            out_audio = None
            resampler = None
            if in_audio is not None:
                if copy_audio:
                    out_audio = output.add_stream_from_template(in_audio)
                else:
                    context = in_audio.codec_context
                    out_audio = output.add_stream(
                        'aac', rate=context.sample_rate)
                    out_audio.layout = in_audio.layout.name
                    resampler = av.AudioResampler(
                        format='fltp',
                        layout=in_audio.layout.name,
                        rate=context.sample_rate)
            labels = _LabelBox(width, height)
            state = {'done': 0, 'last_pts': None}

            def encode(frame: Optional[av.VideoFrame]) -> None:
                output.mux(out_video.encode(frame))

            def draw(frame: av.VideoFrame) -> None:
                # the frame's time in the source, and since the video's
                # start (the result's time axis)
                if frame.pts is not None:
                    when = frame.pts * time_base
                else:
                    when = offset + state['done'] / rate
                index = max(
                    bisect.bisect_right(starts,
                                        float(when) - float(offset)) - 1, 0)
                pixels = frame.to_ndarray(format='rgb24')
                if turns:
                    pixels = np.rot90(pixels, turns)
                pixels = pixels[:height, :width]
                pixels = np.ascontiguousarray(pixels)
                box = labels.render(index, lines[index])
                if box is not None:
                    labels.blend(pixels, box)
                drawn = av.VideoFrame.from_ndarray(pixels, format='rgb24')
                drawn.time_base = codec_base
                pts = round(when / codec_base)
                if state['last_pts'] is not None:
                    pts = max(pts, state['last_pts'] + 1)
                drawn.pts = state['last_pts'] = pts
                encode(drawn)
                state['done'] += 1
                if progress is not None:
                    progress(state['done'], max(total, state['done']))

            streams = [in_video] + ([in_audio] if in_audio else [])
            try:
                for packet in source.demux(streams):
                    if packet.stream is in_video:
                        for frame in packet.decode():
                            draw(frame)
                    elif copy_audio:
                        if packet.dts is None:  # the demuxer's flush packet
                            continue
                        packet.stream = out_audio
                        output.mux(packet)
                    else:
                        for frame in packet.decode():
                            for chunk in resampler.resample(frame):
                                output.mux(out_audio.encode(chunk))
                encode(None)
                if resampler is not None:
                    for chunk in resampler.resample(None):
                        output.mux(out_audio.encode(chunk))
                    output.mux(out_audio.encode(None))
            except av.FFmpegError as err:
                raise MediaError(
                    f'{video_path}: cannot annotate into {out_path} '
                    f'(after {state["done"]} frames: {err})') from err
    if state['done'] == 0:
        raise MediaError(f'{video_path}: no decodable video frames')
