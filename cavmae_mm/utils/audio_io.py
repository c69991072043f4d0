"""Reads audio: soundfile for wavs (torchaudio 2.11's ``load`` needs
torchcodec), PyAV for everything that must be converted first."""
import io
import math
import wave
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
import soundfile
import torch
from torch import Tensor

from .video_io import MediaError, decode_audio

#: Extensions read as audio files (anything FFmpeg decodes works).
AUDIO_EXTENSIONS = ('.wav', '.flac', '.mp3', '.ogg', '.m4a')


def check_samples(waveform: Tensor, path: Union[str, Path]) -> None:
    """Raises when a waveform is empty or holds NaN / infinite samples."""
    if waveform.numel() == 0:
        raise MediaError(f'{path}: audio file has no samples')
    # one float64 sum is finite exactly when every sample is (float32
    # values cannot overflow it), at a fifth of the cost of isfinite().all()
    if not math.isfinite(float(waveform.sum(dtype=torch.float64))):
        bad = int((~torch.isfinite(waveform)).sum())
        raise MediaError(f'{path}: audio has {bad} NaN or infinite samples')


def load_wav(
        path: Union[str, Path],
        data: Optional[Union[bytes, memoryview]] = None) -> Tuple[Tensor, int]:
    """Reads an audio file as float32 [channels, samples] and its rate.

    The scaling is ``torchaudio.load``'s (and so the reference's): integer
    PCM is divided by 2**(bits - 1), e.g. int16 by 32768, into [-1, 1).

    Args:
        path: Audio file (wav, flac, ... anything libsndfile reads), or the
            name of ``data`` in the messages.
        data (bytes | memoryview, optional): The file's bytes (e.g. a
            shard member), decoded exactly as the file would be.

    Returns:
        tuple: waveform [C, N] float32 and the sample rate.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file cannot be decoded as audio, has no samples or
            holds NaN / infinite samples; the message names the file and the
            reason.
    """
    if data is None and not Path(path).is_file():
        raise FileNotFoundError(f'{path}: audio file not found')
    if data is not None:
        pcm16 = _read_pcm16_wav(data)
        if pcm16 is not None:
            check_samples(pcm16[0], path)
            return pcm16
    source = io.BytesIO(data) if data is not None else str(path)
    try:
        samples, sample_rate = soundfile.read(
            source, dtype='float32', always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise MediaError(f'{path}: cannot decode audio ({err})') from err
    waveform = torch.from_numpy(samples.T.copy())
    check_samples(waveform, path)
    return waveform, sample_rate


def _read_pcm16_wav(
        data: Union[bytes, memoryview]) -> Optional[Tuple[Tensor, int]]:
    """A 16-bit PCM wav in memory (what the extraction writes), read with
    the standard library's ``wave`` to the values soundfile gives (int16 /
    32768, exact in float32), without soundfile's per-chunk Python
    callbacks on a memory file; None for any other format."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            if reader.getsampwidth() != 2:
                return None
            channels, rate = reader.getnchannels(), reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return None
    samples = np.frombuffer(frames, dtype='<i2').reshape(-1, channels)
    waveform = np.ascontiguousarray(samples.T, dtype=np.float32)
    waveform *= np.float32(1 / 32768)
    return torch.from_numpy(waveform), rate


def _soundfile_format(path: Path) -> Optional[Tuple[int, int]]:
    """(rate, channels) when libsndfile reads the file, else None."""
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError):
        return None
    return int(info.samplerate), int(info.channels)


def load_audio_as_extracted(
        path: Union[str, Path],
        sample_rate: int = 16000) -> Tuple[Tensor, Optional[str]]:
    """Mono audio at ``sample_rate`` as the official extraction makes it.

    A file that libsndfile reads and that is already mono at
    ``sample_rate`` is read exactly as ``LoadAudio`` reads an extracted wav.
    Anything else (a video's audio track, another rate or channel count,
    m4a, ...) is decoded and resampled by FFmpeg (PyAV), keeping the first
    channel, as the official ``ffmpeg -ar 16000`` + ``sox remix 1``.

    Args:
        path: Audio or video file.
        sample_rate (int): Output rate. Defaults to 16000.

    Returns:
        tuple: waveform [1, N] float32 and, when the audio was converted, a
        one-line description of the conversion (else None).

    Raises:
        FileNotFoundError: The file does not exist.
        MediaError: No audio, undecodable, empty, or NaN / infinite samples.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: file not found')
    native = _soundfile_format(path)
    if native == (sample_rate, 1):
        waveform, _ = load_wav(path)
        return waveform, None
    decoded = decode_audio(path, sample_rate)
    rate, channels = decoded.source_rate, decoded.source_channels
    waveform = torch.from_numpy(decoded.samples)[None]
    check_samples(waveform, path)
    if (rate, channels) == (sample_rate, 1):
        return waveform, None
    kept = ', first channel kept' if channels > 1 else ''
    note = (f'audio converted from {rate} Hz, {channels} channel(s) to '
            f'{sample_rate} Hz mono{kept}, as the official extraction')
    return waveform, note
