"""Small real files for the dataset tests: 16 kHz wavs, extracted-frame
folders, their label CSV, and a tiny pipeline for them."""
import numpy as np
import soundfile
from mmengine.dataset import Compose
from PIL import Image

from cavmae_mm.registry import TRANSFORMS
from tests.helpers import TINY


def pipeline(cfgs):
    """A pipeline built from this package's registry (no scope needed)."""
    return Compose([TRANSFORMS.build(cfg) for cfg in cfgs])


def write_tone(path,
               seconds=1.5,
               rate=16000,
               freq=440.0,
               channels=1,
               subtype='PCM_16'):
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(
        0).standard_normal(t.shape)
    data = np.stack([wave] * channels, 1) if channels > 1 else wave
    soundfile.write(path, data, rate, subtype=subtype)
    return path


def write_frames(root, video_id, indices=range(10), size=(320, 240)):
    rng = np.random.default_rng(1)
    for i in indices:
        folder = root / f'frame_{i}'
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f'{video_id}.jpg', quality=90)
    return root


LABELS = 'index,mid,display_name\n0,/m/a,"Tone, low"\n1,/m/b,Tone high\n' \
    '2,/m/c,Noise\n'


def tiny_pipeline(test=False):
    return [
        dict(type='LoadAudio'),
        dict(type='KaldiFbank', num_mel_bins=TINY['num_mel_bins']),
        dict(type='PadCropFbank', target_length=TINY['target_length']),
        dict(type='NormalizeFbank'),
        dict(type='SelectFrames', mode='fixed' if test else 'random'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop', frame_size=TINY['frame_size']),
        dict(type='EncodeLabels', num_classes=3, label_smooth=0.1),
        dict(
            type='PackActionInputs',
            collect_keys=('audios', 'imgs'),
            meta_keys=('video_id', ))
    ]
