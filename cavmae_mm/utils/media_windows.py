"""Reading a long recording window by window, in bounded memory.

A recording longer than the model's clip is classified in windows of
``window`` seconds every ``stride`` seconds (:func:`plan_windows`). Each
window is taken as the official extraction takes a clip: its audio track
(16 kHz, first channel) and its evenly spaced frames
(:func:`window_frame_indices`). :class:`AudioWindows` decodes the audio as
a stream and keeps only the samples the coming windows still need;
:class:`FrameWindows` seeks to each window's frames. Neither holds the
whole recording.
"""
import math
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import av
import cv2
import numpy as np

from .video_io import (MediaError, PathLike, audio_chunks,
                       official_frame_indices, usable_frame_count)


class Window(NamedTuple):
    """One window of a recording, in seconds."""
    start: float
    end: float


def plan_windows(duration: float, window: float,
                 stride: float) -> List[Window]:
    """Windows of ``window`` s starting every ``stride`` s that cover
    ``[0, duration]``: the last one starts at the first multiple of the
    stride from which a window reaches the end, and may run past it (its
    missing part is padded as the model pads a short clip). A recording no
    longer than one window is one window.

    Raises:
        ValueError: A non-positive window or duration, or a stride outside
            (0, window] (a longer stride would skip parts of the file).
    """
    if window <= 0 or duration <= 0:
        raise ValueError(f'window ({window} s) and duration ({duration} s) '
                         'must be > 0')
    if not 0 < stride <= window:
        raise ValueError(f'stride must be in (0, window = {window} s], got '
                         f'{stride} s')
    extra = max(duration - window, 0.0)
    # a hair of tolerance: 20 min in 5.12 s strides is not 234.375000001
    count = math.ceil(extra / stride - 1e-9) + 1
    return [Window(i * stride, i * stride + window) for i in range(count)]


def media_duration(path: PathLike) -> float:
    """Seconds of a media file: its longest stream (PyAV's container
    duration when the streams do not say).

    Raises:
        MediaError: Not readable, or no duration known.
    """
    try:
        with av.open(str(path)) as container:
            lengths = [
                float(s.duration * s.time_base) for s in container.streams
                if s.duration is not None and s.time_base is not None
                and s.type in ('audio', 'video')
            ]
            if not lengths and container.duration is not None:
                lengths = [container.duration / av.time_base]
    except av.FFmpegError as err:
        raise MediaError(f'{path}: not a readable media file ({err})') \
            from err
    if not lengths or max(lengths) <= 0:
        raise MediaError(f'{path}: the file does not say how long it is')
    return max(lengths)


class AudioWindows:
    """The audio of successive windows from one decoding pass.

    The track is decoded as a stream (:func:`audio_chunks`); a window's
    samples are returned once decoded, and the samples before the next
    window's start are dropped, so memory holds about one window (plus one
    decoded chunk) whatever the length of the file. Windows must be asked
    for in order.

    Args:
        path: The media file.
        sample_rate (int): Output rate. Defaults to 16000.
    """

    def __init__(self, path: PathLike, sample_rate: int = 16000) -> None:
        self.path = str(path)
        self.sample_rate = sample_rate
        self._chunks = audio_chunks(path, sample_rate)
        self.source = next(self._chunks)
        self._buffer: List[np.ndarray] = []
        self._buffered = 0  # samples in the buffer
        self._offset = 0  # index of the buffer's first sample in the track
        self._done = False

    def _fill(self, until: int) -> None:
        while not self._done and self._offset + self._buffered < until:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
            elif chunk.size:
                self._buffer.append(chunk)
                self._buffered += chunk.size

    def take(self,
             window: Window,
             next_start: Optional[float] = None) -> np.ndarray:
        """The float32 samples of ``window`` (fewer at the end of the
        track); ``next_start`` (s) lets the samples before it go.

        Raises:
            ValueError: A window before what was already dropped.
        """
        first = int(round(window.start * self.sample_rate))
        last = int(round(window.end * self.sample_rate))
        if first < self._offset:
            raise ValueError(f'{self.path}: audio windows must come in '
                             f'order (sample {first} was dropped)')
        self._fill(last)
        joined = np.concatenate(self._buffer) if self._buffer else \
            np.zeros(0, np.float32)
        samples = joined[first - self._offset:last - self._offset].copy()
        if next_start is not None:
            cut = int(round(next_start * self.sample_rate)) - self._offset
            cut = min(max(cut, 0), joined.size)
            rest = joined[cut:].copy()  # a copy: the dropped part is freed
            self._buffer = [rest] if rest.size else []
            self._offset += cut
            self._buffered = rest.size
        return samples


def window_frame_indices(window: Window,
                         fps: float,
                         frame_count: int,
                         num_frames: int = 10,
                         max_seconds: float = 10.0) -> List[int]:
    """The frames of a window as the official extraction picks those of a
    clip: :func:`official_frame_indices` over the window's usable frames
    (``min(frames left, int(fps * min(window length, max_seconds)))``),
    counted from the window's first frame. For the window at 0 these are
    exactly the frames of the whole file's extraction.

    Raises:
        ValueError: The window starts after the last frame.
    """
    first = int(round(window.start * fps))
    if first >= frame_count:
        raise ValueError(f'the window at {window.start:.2f} s starts after '
                         f'the last of {frame_count} frames')
    seconds = min(window.end - window.start, max_seconds)
    usable = usable_frame_count(frame_count - first, fps, seconds)
    return [
        first + i for i in official_frame_indices(max(usable, 1), num_frames)
    ]


class FrameWindows:
    """Reads chosen frames of a video, window after window, with one
    OpenCV capture (one seek per frame, as the official extraction).

    Args:
        path: The video file.

    Raises:
        FileNotFoundError: No such file.
        MediaError: No decodable video stream.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f'{self.path}: file not found')
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise MediaError(f'{self.path}: cannot open the video stream')
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.fps <= 0 or self.frame_count < 1:
            self.close()
            raise MediaError(f'{self.path}: no decodable video frames '
                             f'(frame rate {self.fps}, frame count '
                             f'{self.frame_count})')

    def read(self, indices: Sequence[int]) -> List[np.ndarray]:
        """RGB uint8 frames [H, W, 3] at ``indices``.

        Raises:
            MediaError: A frame cannot be read (the message names it).
        """
        frames = []
        for index in indices:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = self._capture.read()
            if not ok or frame is None:
                raise MediaError(f'{self.path}: cannot read frame {index} of '
                                 f'{self.frame_count} (truncated or corrupt '
                                 'video?)')
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        return frames

    def close(self) -> None:
        """Releases the capture."""
        self._capture.release()

    def __enter__(self) -> 'FrameWindows':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_windows(
    windows: Sequence[Window]
) -> Iterator[Tuple[int, Window, Optional[float]]]:
    """``(index, window, start of the next window or None)``."""
    for i, window in enumerate(windows):
        following = windows[i + 1].start if i + 1 < len(windows) else None
        yield i, window, following
