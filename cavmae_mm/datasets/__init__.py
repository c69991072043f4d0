"""Audio-visual data: the datalist dataset, mixup, sampling, transforms."""
from .audio_visual_dataset import AudioVisualDataset
from .balanced_sampler import BalancedSampler, compute_sample_weights
from .mixup_dataset import AudioVisualMixupDataset, mix_samples
from .skip_policy import DatumError
from .transforms import *  # noqa: F401,F403

__all__ = [
    'AudioVisualDataset', 'DatumError', 'BalancedSampler',
    'compute_sample_weights', 'AudioVisualMixupDataset', 'mix_samples'
]
