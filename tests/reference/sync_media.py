"""Seeded synthetic clips for the CAV-MAE Sync data parity fixture.

numpy, PIL and soundfile only, with no import of cavmae_mm, so that the
same files can be written both by tests/reference/make_sync_reference.py
(run next to the official code, whose ``dataloader_sync.AudiosetDataset``
reads them) and by tests/datasets/test_sync_pipeline.py (which reads them
with this package's pipelines). The media stay out of git: each side
writes them into a temporary folder, and the fixture records the sha256
of every file (:func:`media_digests`) so that the test can tell a change
of the media (e.g. another libjpeg) from a change of the pipeline.

The layout is the official one: ``audio/{video_id}.wav`` (16 kHz mono
16-bit PCM), ``frames/frame_{i}/{video_id}.jpg`` for ``i < 16``, the
datalist ``data.json`` (``{"data": [{"wav", "labels", "video_id",
"video_path"}]}``, absolute paths, since the official loader opens them as
given) and the label CSV ``labels.csv`` (``index,mid,display_name``).
"""
import hashlib
import json
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import numpy as np
import soundfile
from PIL import Image

SAMPLE_RATE = 16000
#: Frames per clip (the official ``total_frame``).
TOTAL_FRAME = 16
JPEG_QUALITY = 90
#: kaldi's pre-emphasis coefficient (torchaudio's default, the reference's).
PREEMPHASIS = 0.97
#: RMS of the noise floor of :func:`floor_noise`.
FLOOR_RMS = 0.05


class ClipSpec(NamedTuple):
    """One synthetic clip.

    Attributes:
        video_id: Name of the clip's files.
        seconds: Audio length; the official loader pads or cuts the fbank
            to 1024 frames (10.24 s).
        size: Frame (width, height) in pixels.
        labels: Comma-separated mids of the datalist entry.
        missing: Frame indices not written (a gap in the extraction).
    """

    video_id: str
    seconds: float
    size: Tuple[int, int]
    labels: str
    missing: Tuple[int, ...] = ()


#: The clips: shorter than 10.24 s (the fbank is padded), longer (cut),
#: and one with frames 5 and 6 missing (the official retrieval mode then
#: repeats the image of frame 4 with the audio of frames 5 and 6).
CLIPS = (
    ClipSpec('sync_short', 9.7, (64, 48), '/m/sync_a'),
    ClipSpec('sync_long', 10.9, (48, 64), '/m/sync_b,/m/sync_c'),
    ClipSpec('sync_gap', 10.0, (64, 40), '/m/sync_c', missing=(5, 6)),
)

LABEL_ROWS = (('0', '/m/sync_a', 'Chirp'), ('1', '/m/sync_b', 'Bursts'),
              ('2', '/m/sync_c', 'Tones, mixed'))


def floor_noise(num: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise that kaldi's pre-emphasis (``1 - 0.97 z^-1``) turns
    white: random phases over the inverse of the filter's gain.

    Every fbank bin of every frame then holds noise well above kaldi's log
    floor. Without it the quiet bins (the low ones, which the pre-emphasis
    damps by ~30 dB) carry energies near float32 rounding, where the last
    bit of a sample moves the normalised fbank by more than 1e-4.
    """
    freqs = np.fft.rfftfreq(num, 1.0 / SAMPLE_RATE)
    gain = np.abs(1 - PREEMPHASIS * np.exp(-2j * np.pi * freqs / SAMPLE_RATE))
    phases = rng.uniform(0, 2 * np.pi, freqs.shape)
    spectrum = np.exp(1j * phases) / gain
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, num)
    return noise / np.sqrt(np.mean(noise**2))


def clip_waveform(spec: ClipSpec, seed: int) -> np.ndarray:
    """The clip's 16-bit samples: a rising chirp (every fbank segment
    differs), noise bursts every 0.37 s, two seeded tones and a noise
    floor (:func:`floor_noise`).

    There is no DC offset: the waveform's mean (which both loaders remove)
    stays near 1e-4, whose float32 rounding (the sum's order depends on
    torch's thread count) then changes almost no sample; with a mean of
    0.01, one ulp of it moved the normalised fbank by up to 5e-4.

    Args:
        spec: The clip.
        seed: Seed of the clip's generator (with the clip's position
            mixed in by the caller).

    Returns:
        np.ndarray: int16 samples [N].
    """
    rng = np.random.default_rng(seed)
    num = int(round(spec.seconds * SAMPLE_RATE))
    t = np.arange(num, dtype=np.float64) / SAMPLE_RATE
    low, high = 150.0, 5000.0
    rate = np.log(high / low) / spec.seconds
    chirp = np.sin(2 * np.pi * low * (np.exp(rate * t) - 1) / rate)
    bursts = (np.sin(2 * np.pi * t / 0.37) > 0.6).astype(np.float64)
    noise = rng.standard_normal(num) * bursts
    tones = sum(
        rng.uniform(0.05, 0.15) * np.sin(2 * np.pi * f * t + phase)
        for f, phase in zip(
            rng.uniform(300.0, 3000.0, 2), rng.uniform(0, 2 * np.pi, 2)))
    wave = 0.25 * chirp * (0.6 + 0.4 * np.cos(2 * np.pi * 0.5 * t)) + \
        0.08 * noise + tones + FLOOR_RMS * floor_noise(num, rng)
    return np.clip(np.round(wave * 32767.0), -32768, 32767).astype(np.int16)


def frame_pixels(spec: ClipSpec, index: int,
                 rng: np.random.Generator) -> np.ndarray:
    """RGB pixels of frame ``index``: gradients that move with the index,
    a bright block at an index-dependent place and seeded noise.

    Returns:
        np.ndarray: uint8 [height, width, 3].
    """
    width, height = spec.size
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    phase = index / TOTAL_FRAME
    red = 127.5 + 120 * np.sin(2 * np.pi * (x / width + phase))
    green = 255.0 * ((y / height + phase) % 1.0)
    blue = 127.5 + 120 * np.cos(2 * np.pi * ((x + y) /
                                             (width + height) - 2 * phase))
    pixels = np.stack([red, green, blue], -1)
    top = (index * 5) % max(1, height - 12)
    left = (index * 7) % max(1, width - 12)
    pixels[top:top + 12, left:left + 12] = (250.0, 240.0, 20.0)
    pixels += rng.normal(0.0, 12.0, pixels.shape)
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def write_media(root: Path, seed: int = 0) -> Dict[str, Path]:
    """Writes the clips, the datalist and the label CSV under ``root``.

    The bytes depend on ``seed`` only (and on the PIL / libjpeg and
    libsndfile versions, see :func:`media_digests`).

    Args:
        root: Folder to write into (created if missing).
        seed: Seed of every draw.

    Returns:
        dict: ``datalist`` and ``label_csv`` paths.
    """
    root = Path(root)
    (root / 'audio').mkdir(parents=True, exist_ok=True)
    entries: List[Dict[str, str]] = []
    for position, spec in enumerate(CLIPS):
        wav = root / 'audio' / f'{spec.video_id}.wav'
        samples = clip_waveform(spec, seed * 1000 + position)
        soundfile.write(
            str(wav), samples, SAMPLE_RATE, subtype='PCM_16', format='WAV')
        rng = np.random.default_rng(seed * 1000 + 100 + position)
        for index in range(TOTAL_FRAME):
            pixels = frame_pixels(spec, index, rng)
            if index in spec.missing:
                continue
            folder = root / 'frames' / f'frame_{index}'
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels, 'RGB').save(
                folder / f'{spec.video_id}.jpg',
                format='JPEG',
                quality=JPEG_QUALITY)
        entries.append(
            dict(
                wav=str(wav),
                labels=spec.labels,
                video_id=spec.video_id,
                video_path=str(root / 'frames')))
    datalist = root / 'data.json'
    datalist.write_text(json.dumps(dict(data=entries), indent=1))
    label_csv = root / 'labels.csv'
    label_csv.write_text('index,mid,display_name\n' +
                         ''.join(f'{index},{mid},"{name}"\n'
                                 for index, mid, name in LABEL_ROWS))
    return dict(datalist=datalist, label_csv=label_csv)


def media_digests(root: Path) -> Dict[str, str]:
    """sha256 of every wav and JPEG under ``root``, by relative path (the
    datalist is left out: it holds absolute paths)."""
    root = Path(root)
    return {
        str(path.relative_to(root)):
        hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob('*')) if path.suffix in ('.wav', '.jpg')
    }
