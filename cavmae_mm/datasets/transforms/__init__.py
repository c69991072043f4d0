"""Data transforms of CAV-MAE (registered in cavmae_mm's TRANSFORMS)."""
from .audio import (AUDIOSET_MEAN, AUDIOSET_STD, FbankNoiseRoll, KaldiFbank,
                    LoadAudio, NormalizeFbank, PadCropFbank, SpecAugment)
from .frames import LoadFrames, ResizeCenterCrop, SelectFrames, frame_file
from .labels import EncodeLabels

__all__ = [
    'AUDIOSET_MEAN', 'AUDIOSET_STD', 'FbankNoiseRoll', 'KaldiFbank',
    'LoadAudio', 'NormalizeFbank', 'PadCropFbank', 'SpecAugment',
    'LoadFrames', 'ResizeCenterCrop', 'SelectFrames', 'frame_file',
    'EncodeLabels'
]
