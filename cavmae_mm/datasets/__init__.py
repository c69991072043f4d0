"""Audio-visual data: the datalist dataset, mixup, sampling, transforms."""
# MMAction2's datasets and transforms (e.g. PackActionInputs) register in the
# parent registries on import, so configs reach them without a prefix.
import mmaction.datasets  # noqa: F401

from .audio_visual_dataset import AudioVisualDataset, DatumError
from .balanced_sampler import BalancedSampler, compute_sample_weights
from .mixup_dataset import AudioVisualMixupDataset, mix_samples
from .transforms import *  # noqa: F401,F403

__all__ = [
    'AudioVisualDataset', 'DatumError', 'BalancedSampler',
    'compute_sample_weights', 'AudioVisualMixupDataset', 'mix_samples'
]
