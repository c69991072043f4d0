"""Audio-visual data: the datalist dataset, mixup, sampling, transforms."""
from .audio_visual_dataset import AudioVisualDataset
from .balanced_sampler import BalancedSampler, compute_sample_weights
from .mixup_dataset import AudioVisualMixupDataset
from .shard_sampler import ShardAwareSampler
from .sharded_dataset import ShardedAudioVisualDataset
from .skip_policy import DatumError
from .transforms import *  # noqa: F401,F403
from .transforms import mix_samples

__all__ = [
    'AudioVisualDataset', 'DatumError', 'BalancedSampler',
    'compute_sample_weights', 'AudioVisualMixupDataset', 'mix_samples',
    'ShardAwareSampler', 'ShardedAudioVisualDataset'
]
