"""Decoding media files: audio tracks (PyAV), frames (OpenCV), probing.

Both libraries ship their own FFmpeg, so no system packages are needed.
Frames are read the way the official extraction script reads them (OpenCV,
one seek per frame); audio tracks are resampled by FFmpeg's resampler
(PyAV), as the official extraction's ``ffmpeg -ar 16000`` does.
"""
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import av
import cv2
import numpy as np

PathLike = Union[str, Path]

#: Video file extensions every tool and API reads.
VIDEO_EXTENSIONS = ('.mp4', '.mkv', '.webm', '.avi', '.mov')


class MediaError(ValueError):
    """A media file cannot be used; the message names the file and why."""


class Streams(NamedTuple):
    """Which streams a media file has."""
    audio: bool
    video: bool


def probe_streams(path: PathLike) -> Streams:
    """Opens a media file (PyAV) and tells which streams it holds.

    Raises:
        FileNotFoundError: The file does not exist.
        MediaError: FFmpeg cannot open it as media.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: file not found')
    try:
        with av.open(str(path)) as container:
            return Streams(
                audio=bool(container.streams.audio),
                video=bool(container.streams.video))
    except av.FFmpegError as err:
        raise MediaError(f'{path}: not a readable media file ({err})') \
            from err


class DecodedAudio(NamedTuple):
    """A decoded audio track and the format it had in the file."""
    samples: np.ndarray
    source_rate: int
    source_channels: int


def audio_chunks(path: PathLike,
                 sample_rate: int = 16000) -> Iterator[np.ndarray]:
    """The first channel of a file's audio, resampled, as float32 chunks
    [n] in order, decoded as they are read (the whole track is never held:
    see :func:`decode_audio` for that). The stream's own rate and channel
    count are the generator's first item, as a :class:`DecodedAudio` with
    no samples.

    Raises:
        MediaError: No audio stream, or it cannot be decoded (the message
            names the file).
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError(f'{path}: no audio stream')
            stream = container.streams.audio[0]
            context = stream.codec_context
            yield DecodedAudio(
                np.zeros(0, np.float32), int(context.sample_rate),
                int(context.channels))
            resampler = av.AudioResampler(
                format='fltp', layout=stream.layout.name, rate=sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield out.to_ndarray()[0].astype(np.float32, copy=False)
            for out in resampler.resample(None):
                yield out.to_ndarray()[0].astype(np.float32, copy=False)
    except av.FFmpegError as err:
        raise MediaError(f'{path}: cannot decode audio ({err})') from err


def decode_audio(path: PathLike, sample_rate: int = 16000) -> DecodedAudio:
    """The first channel of a file's audio, resampled, as float32 [N], with
    the stream's own rate and channel count (one pass over the file).

    Works for video containers and audio files alike (PyAV). This is the
    official extraction (``ffmpeg -ar 16000``, then ``sox remix 1``) before
    its 16-bit rounding.

    Raises:
        MediaError: No audio stream, it cannot be decoded or it has no
            samples (the message names the file).
    """
    stream = audio_chunks(path, sample_rate)
    source = next(stream)
    chunks = list(stream)
    if not chunks:
        raise MediaError(f'{path}: the audio stream has no samples')
    return DecodedAudio(
        np.concatenate(chunks).astype(np.float32), source.source_rate,
        source.source_channels)


def read_audio_track(path: PathLike, sample_rate: int = 16000) -> np.ndarray:
    """:func:`decode_audio`'s samples only."""
    return decode_audio(path, sample_rate).samples


def official_frame_indices(total: int, num_frames: int = 10) -> List[int]:
    """The frames the official extraction reads for ``total`` usable frames.

    The official script computes ``int(i * total / num_frames)`` and then
    seeks OpenCV to one frame before it (``CAP_PROP_POS_FRAMES = index -
    1``) and reads one frame, so slot ``i`` holds frame
    ``max(int(i * total / num_frames) - 1, 0)``.
    """
    return [max(int(i * total / num_frames) - 1, 0) for i in range(num_frames)]


def usable_frame_count(frame_count: int,
                       fps: float,
                       max_seconds: float = 10.0) -> int:
    """``min(frame count, int(fps * max_seconds))``, as the official."""
    return min(int(frame_count), int(fps * max_seconds))


def read_official_frames(
    path: PathLike,
    num_frames: int = 10,
    max_seconds: float = 10.0,
    slots: Optional[Sequence[int]] = None
) -> Tuple[List[np.ndarray], List[int]]:
    """The ``num_frames`` RGB frames the official extraction picks.

    OpenCV reads the frame rate and frame count, takes
    ``N = min(frame count, int(fps * max_seconds))`` and reads the frames
    of :func:`official_frame_indices`, each after one seek (the clip is not
    decoded as a whole).

    Args:
        path: The video file.
        num_frames (int): Extraction points. Defaults to 10.
        max_seconds (float): Length of the clip considered. Defaults to 10.
        slots (sequence of int, optional): Read only these extraction points
            (e.g. one random frame in training); default all.

    Returns:
        tuple: RGB uint8 arrays [H, W, 3] (one per slot read) and their
        frame indices.

    Raises:
        FileNotFoundError: The file does not exist.
        MediaError: No video stream, unknown length, or a frame that cannot
            be read (the message names the file and the frame).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: file not found')
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaError(f'{path}: cannot open the video stream')
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        if not fps or fps <= 0 or count is None or count < 1:
            raise MediaError(f'{path}: no decodable video frames (frame '
                             f'rate {fps}, frame count {count})')
        total = usable_frame_count(count, fps, max_seconds)
        if total < 1:
            raise MediaError(f'{path}: the video is shorter than one frame')
        indices = official_frame_indices(total, num_frames)
        if slots is not None:
            indices = [indices[slot] for slot in slots]
        frames: List[np.ndarray] = []
        for index in indices:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if not ok or frame is None:
                raise MediaError(f'{path}: cannot read frame {index} of '
                                 f'{total} (truncated or corrupt video?)')
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return frames, indices
