"""Data transforms of CAV-MAE (registered in cavmae_mm's TRANSFORMS)."""
from .aligned_audio import AlignAudioToFrames, segment_bounds
from .audio import (AUDIOSET_MEAN, AUDIOSET_STD, AudioFrontEnd, FbankNoiseRoll,
                    KaldiFbank, LoadAudio, LoadAudioFromVideo, NormalizeFbank,
                    PadCropFbank, SpecAugment, WaveformAsInput)
from .decode import DecodeAudio, DecodeOfficialFrames
from .frames import (LoadFrames, ResizeCenterCrop, SelectFrames,
                     SelectVideoFrames, frame_file, resize_center_crop)
from .labels import EncodeLabels
from .mixup import AudioVisualMixup, mix_samples

__all__ = [
    'AUDIOSET_MEAN', 'AUDIOSET_STD', 'AudioFrontEnd', 'FbankNoiseRoll',
    'KaldiFbank', 'LoadAudio', 'LoadAudioFromVideo', 'NormalizeFbank',
    'PadCropFbank', 'SpecAugment', 'WaveformAsInput', 'LoadFrames',
    'ResizeCenterCrop', 'SelectFrames', 'SelectVideoFrames', 'frame_file',
    'resize_center_crop', 'EncodeLabels', 'AudioVisualMixup', 'mix_samples',
    'DecodeAudio', 'DecodeOfficialFrames', 'AlignAudioToFrames',
    'segment_bounds'
]
