"""CAV-MAE's audio front end, written once for both data routes: its
settings, the kaldi filter bank (the reference call and its batched twin),
the batched steps after it and CAV-MAE Sync's per-frame segments."""
from .fbank import KaldiFbankBatch, pad_waveforms, reference_fbank
from .frontend import FbankSteps
from .ops import (NoiseDraws, add_noise_and_roll, batch_noise_draws, normalize,
                  pad_crop, reference_noise_draws, spec_augment)
from .segments import cut_segments, segment_bounds
from .settings import (AUDIOSET_MEAN, AUDIOSET_STD, FRAME_LENGTH_MS,
                       FRAME_SHIFT_MS, NUM_MEL_BINS, SAMPLE_RATE,
                       TARGET_LENGTH, samples_per_frame)

__all__ = [
    'KaldiFbankBatch', 'pad_waveforms', 'reference_fbank', 'FbankSteps',
    'NoiseDraws', 'add_noise_and_roll', 'batch_noise_draws', 'normalize',
    'pad_crop', 'reference_noise_draws', 'spec_augment', 'cut_segments',
    'segment_bounds', 'AUDIOSET_MEAN', 'AUDIOSET_STD', 'FRAME_LENGTH_MS',
    'FRAME_SHIFT_MS', 'NUM_MEL_BINS', 'SAMPLE_RATE', 'TARGET_LENGTH',
    'samples_per_frame'
]
