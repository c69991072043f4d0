"""Decoding videos with PyAV (which ships its own FFmpeg)."""
from pathlib import Path
from typing import List, Tuple, Union

import av
import numpy as np
from PIL import Image


def read_audio_track(path: Union[str, Path],
                     sample_rate: int = 16000) -> np.ndarray:
    """The first channel of a video's audio, resampled, as float32 [N].

    Raises:
        ValueError: No audio stream, or it cannot be decoded (the message
            names the file).
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ValueError(f'{path}: no audio stream')
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format='fltp',
                                          layout=stream.layout.name,
                                          rate=sample_rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray()[0])
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray()[0])
    except av.FFmpegError as err:
        raise ValueError(f'{path}: cannot decode audio ({err})') from err
    if not chunks:
        raise ValueError(f'{path}: the audio stream has no samples')
    return np.concatenate(chunks).astype(np.float32)


def read_frames(path: Union[str, Path],
                max_seconds: float = 10.0) -> Tuple[List[Image.Image], float]:
    """RGB frames of the first ``max_seconds`` of a video, and its fps.

    Raises:
        ValueError: No video stream or undecodable (names the file).
    """
    frames: List[Image.Image] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f'{path}: no video stream')
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            if fps <= 0:
                raise ValueError(f'{path}: unknown frame rate')
            limit = int(fps * max_seconds)
            for frame in container.decode(stream):
                frames.append(frame.to_image())
                if len(frames) >= limit:
                    break
    except av.FFmpegError as err:
        raise ValueError(f'{path}: cannot decode video ({err})') from err
    if not frames:
        raise ValueError(f'{path}: the video has no frames')
    return frames, fps


def evenly_spaced(count: int, num_frames: int = 10) -> List[int]:
    """The reference's frame indices ``int(i * count / num_frames)``."""
    return [int(i * count / num_frames) for i in range(num_frames)]
