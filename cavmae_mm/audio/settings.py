"""The settings of CAV-MAE's audio front end, stated once.

The data transforms (``AudioFrontEnd``, ``KaldiFbank``, ...) and the
device-side front end of the data preprocessor (``FbankOnDevice``) compute
the same log-mel filter bank from these values: the official code's
``torchaudio.compliance.kaldi.fbank`` call and the AudioSet statistics it
normalises with (for VGGSound too).
"""
#: Sample rate of every waveform (Hz).
SAMPLE_RATE = 16000
#: Mel bins, frames per 10 s clip, frame shift and length (ms).
NUM_MEL_BINS = 128
TARGET_LENGTH = 1024
FRAME_SHIFT_MS = 10.0
FRAME_LENGTH_MS = 25.0
#: The other arguments of the official kaldi fbank call.
KALDI_FBANK_ARGS = dict(
    htk_compat=True, use_energy=False, window_type='hanning', dither=0.0)
#: Kaldi's pre-emphasis and lowest mel frequency (torchaudio's defaults).
PREEMPHASIS = 0.97
LOW_FREQ_HZ = 20.0
#: fbank statistics of AudioSet, which the official code uses for VGGSound
#: too: ``(fbank - mean) / std``.
AUDIOSET_MEAN, AUDIOSET_STD = -5.081, 4.4849
#: SpecAugment bounds of the official 10 s recipes (mel bins, frames).
FREQM, TIMEM = 48, 192


def samples_per_frame(sample_rate: int = SAMPLE_RATE,
                      frame_length_ms: float = FRAME_LENGTH_MS) -> int:
    """Samples of one analysis frame: the shortest clip that has an fbank."""
    return int(sample_rate * frame_length_ms / 1000)
