"""Audio transforms: waveform loading and the audio front end.

The reference order is: load (mono, 16 kHz) -> remove the mean -> kaldi fbank
-> pad or crop to ``target_length`` -> [train] SpecAugment -> normalise ->
[train] noise and roll. :class:`AudioFrontEnd` runs every step after loading
(what the recipes use); each step is also a transform of its own. The
computations live in :mod:`cavmae_mm.audio`, shared with the device route
(``FbankOnDevice``); here one clip is a batch of one. The fbank travels
under MMAction2's ``audios`` key as a float tensor [T, F].
"""
from typing import Dict, Optional

import torch
import torchaudio
from mmcv.transforms import BaseTransform

from cavmae_mm.audio import (AUDIOSET_MEAN, AUDIOSET_STD, FRAME_LENGTH_MS,
                             FRAME_SHIFT_MS, NUM_MEL_BINS, SAMPLE_RATE,
                             TARGET_LENGTH, FbankSteps, add_noise_and_roll,
                             normalize, pad_crop, reference_fbank,
                             reference_noise_draws, samples_per_frame,
                             spec_augment)
from cavmae_mm.registry import TRANSFORMS
from cavmae_mm.utils.audio_io import load_wav
from cavmae_mm.utils.video_io import read_audio_track


def _source(results: Dict) -> str:
    return str(results.get('audio_path', '<waveform>'))


@TRANSFORMS.register_module()
class LoadAudio(BaseTransform):
    """Reads a mono waveform with soundfile (torchaudio's float scaling).

    Required Keys:
        - audio_path
        - audio_bytes (optional: the file's bytes, e.g. from a shard; None
          when the shard's sample has no wav)

    Added Keys:
        - waveform (Tensor [1, N], float32)
        - sample_rate (int)

    Removed Keys:
        - audio_bytes

    Mono audio at ``sample_rate`` Hz is the contract. Another rate is an
    error unless ``resample=True``; more than one channel is always an error.
    Both errors name the file and how to convert it.

    Args:
        sample_rate (int): Expected rate. Defaults to 16000.
        resample (bool): Resample other rates (torchaudio's sinc
            interpolation) instead of failing. Defaults to False.
    """

    def __init__(self,
                 sample_rate: int = SAMPLE_RATE,
                 resample: bool = False) -> None:
        self.sample_rate = sample_rate
        self.resample = resample

    def transform(self, results: Dict) -> Dict:
        path = results.get('audio_path')
        if path is None:  # a configuration error, not a bad datum
            raise KeyError(
                f'LoadAudio: datum {results.get("video_id")!r} has no wav '
                f'(its datalist lists video files: {results.get("filename")});'
                ' use the on-the-fly pipeline of the dataset base '
                '(LoadAudioFromVideo and SelectVideoFrames)')
        stored = results.pop('audio_bytes', False)
        if stored is None:
            raise FileNotFoundError(f'{path}: the sample has no wav')
        waveform, rate = load_wav(path, None if stored is False else stored)
        if waveform.shape[0] != 1:
            raise ValueError(
                f'{path}: audio has {waveform.shape[0]} channels; CAV-MAE '
                'reads mono audio (convert with tools/data/extract_audio.py, '
                'which keeps the first channel)')
        if rate != self.sample_rate:
            if not self.resample:
                raise ValueError(
                    f'{path}: sample rate {rate} Hz, expected '
                    f'{self.sample_rate} Hz (convert with '
                    'tools/data/extract_audio.py, or set resample=True in '
                    'LoadAudio)')
            waveform = torchaudio.functional.resample(waveform, rate,
                                                      self.sample_rate)
            rate = self.sample_rate
        results['waveform'] = waveform
        results['sample_rate'] = rate
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sample_rate={self.sample_rate}, '
                f'resample={self.resample})')


@TRANSFORMS.register_module()
class LoadAudioFromVideo(BaseTransform):
    """Decodes a video's audio track (PyAV): first channel, resampled.

    For on-the-fly reading without extracted wavs; the result is what
    ``tools/data/extract_audio.py`` would have written (before its 16-bit
    rounding).

    Required Keys:
        - filename (the video file)

    Added Keys:
        - waveform (Tensor [1, N], float32)
        - sample_rate (int)

    Args:
        sample_rate (int): Output rate. Defaults to 16000.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate

    def transform(self, results: Dict) -> Dict:
        wave = read_audio_track(results['filename'], self.sample_rate)
        results['waveform'] = torch.from_numpy(wave)[None]
        results['sample_rate'] = self.sample_rate
        results.setdefault('audio_path', results['filename'])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sample_rate={self.sample_rate})'


def _require_one_frame(results: Dict, waveform: torch.Tensor, rate: int,
                       frame_length: float) -> None:
    """Raises when the clip is shorter than one analysis frame."""
    min_samples = samples_per_frame(rate, frame_length)
    if waveform.shape[-1] < min_samples:
        raise ValueError(
            f'{_source(results)}: audio has {waveform.shape[-1]} samples, '
            f'shorter than one {frame_length} ms frame '
            f'({min_samples} samples at {rate} Hz)')


@TRANSFORMS.register_module()
class KaldiFbank(BaseTransform):
    """Log-mel filter bank exactly as the reference computes it
    (:func:`cavmae_mm.audio.reference_fbank`: mean removal, then
    ``torchaudio.compliance.kaldi.fbank`` with the official options).

    Required Keys:
        - waveform
        - sample_rate

    Added Keys:
        - audios (Tensor [T, num_mel_bins], float32)

    Removed Keys:
        - waveform

    Args:
        num_mel_bins (int): Mel bins. Defaults to 128.
        frame_shift (float): Frame shift in ms. Defaults to 10.
        frame_length (float): Frame length in ms. Defaults to 25 (kaldi's).
    """

    def __init__(self,
                 num_mel_bins: int = NUM_MEL_BINS,
                 frame_shift: float = FRAME_SHIFT_MS,
                 frame_length: float = FRAME_LENGTH_MS) -> None:
        self.num_mel_bins = num_mel_bins
        self.frame_shift = frame_shift
        self.frame_length = frame_length

    def transform(self, results: Dict) -> Dict:
        waveform = results.pop('waveform')
        rate = results['sample_rate']
        _require_one_frame(results, waveform, rate, self.frame_length)
        results['audios'] = reference_fbank(waveform, rate, self.num_mel_bins,
                                            self.frame_shift,
                                            self.frame_length)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_mel_bins={self.num_mel_bins}, '
                f'frame_shift={self.frame_shift}, '
                f'frame_length={self.frame_length})')


@TRANSFORMS.register_module()
class AudioFrontEnd(BaseTransform):
    """The whole audio front end of a recipe: kaldi fbank, pad or crop,
    [SpecAugment], normalisation, [noise and roll].

    The same arguments build the device route (``FbankOnDevice``); moving a
    recipe's front end to the device moves this dict (less ``type``) into
    ``AVDataPreprocessor(fbank_on_device=...)``. The augmentations are
    those configured (a training pipeline sets ``freqm``/``timem``/
    ``noise``); draws are the reference's (torch's global generator for the
    masks and the noise, numpy's for the noise level and the shift).

    Required Keys:
        - waveform
        - sample_rate

    Added Keys:
        - audios (Tensor [clip_length, num_mel_bins], float32)

    Removed Keys:
        - waveform

    Args:
        num_mel_bins (int): Mel bins. Defaults to 128.
        target_length (int): Frames of the model's audio input. Defaults
            to 1024 (10 s).
        mean (float): Normalisation mean. Defaults to AudioSet's.
        std (float): Normalisation std. Defaults to AudioSet's.
        freqm (int): SpecAugment frequency mask bound; 0 is off.
            Defaults to 0.
        timem (int): SpecAugment time mask bound; 0 is off. Defaults to 0.
        noise (bool): Noise and roll along time. Defaults to False.
        frame_shift (float): Frame shift in ms. Defaults to 10.
        frame_length (float): Frame length in ms. Defaults to 25.
        clip_length (int, optional): Frames the whole clip is padded or
            cut to, when the model reads segments of it: CAV-MAE Sync pads
            to 1024 and :class:`AlignAudioToFrames` then cuts
            ``target_length``-frame segments. Defaults to
            ``target_length``.
    """

    def __init__(self,
                 num_mel_bins: int = NUM_MEL_BINS,
                 target_length: int = TARGET_LENGTH,
                 mean: float = AUDIOSET_MEAN,
                 std: float = AUDIOSET_STD,
                 freqm: int = 0,
                 timem: int = 0,
                 noise: bool = False,
                 frame_shift: float = FRAME_SHIFT_MS,
                 frame_length: float = FRAME_LENGTH_MS,
                 clip_length: Optional[int] = None) -> None:
        if clip_length is not None and clip_length < target_length:
            raise ValueError(f'clip_length ({clip_length}) must be at least '
                             f'target_length ({target_length})')
        self.fbank = KaldiFbank(num_mel_bins, frame_shift, frame_length)
        self.steps = FbankSteps(clip_length or target_length, mean, std, freqm,
                                timem, noise)

    def transform(self, results: Dict) -> Dict:
        fbank = self.fbank(results)['audios']
        results['audios'] = self.steps(
            fbank[None], augment=True, draw_noise=reference_noise_draws)[0]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.fbank!r}, {self.steps!r})'


@TRANSFORMS.register_module()
class WaveformAsInput(BaseTransform):
    """Ships the mean-removed waveform as the audio input, for a data
    preprocessor that computes fbank on the device (``AVDataPreprocessor``
    with ``fbank_on_device``). It takes the place of ``AudioFrontEnd``.

    Required Keys:
        - waveform
        - sample_rate

    Added Keys:
        - waveforms (Tensor [N], float32; pack it with
          ``PackActionInputs(collect_keys=('waveforms', 'imgs'))``)

    Removed Keys:
        - waveform

    Args:
        sample_rate (int): The rate the device fbank expects. Defaults to
            16000.
        frame_length (float): ms; shorter clips are an error, as in
            ``KaldiFbank``. Defaults to 25.
    """

    def __init__(self,
                 sample_rate: int = SAMPLE_RATE,
                 frame_length: float = FRAME_LENGTH_MS) -> None:
        self.sample_rate = sample_rate
        self.frame_length = frame_length

    def transform(self, results: Dict) -> Dict:
        waveform = results.pop('waveform')
        rate = results['sample_rate']
        if rate != self.sample_rate:
            raise ValueError(f'{_source(results)}: audio at {rate} Hz, the '
                             f'device fbank expects {self.sample_rate} Hz')
        _require_one_frame(results, waveform, rate, self.frame_length)
        waveform = waveform.reshape(-1).float()
        results['waveforms'] = waveform - waveform.mean()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sample_rate={self.sample_rate}, '
                f'frame_length={self.frame_length})')


@TRANSFORMS.register_module()
class PadCropFbank(BaseTransform):
    """Zero-pads at the end or cuts the fbank to ``target_length`` frames
    (one step of :class:`AudioFrontEnd`).

    Required Keys:
        - audios

    Modified Keys:
        - audios

    Args:
        target_length (int): Frames. Defaults to 1024 (10 s).
    """

    def __init__(self, target_length: int = TARGET_LENGTH) -> None:
        self.target_length = target_length

    def transform(self, results: Dict) -> Dict:
        results['audios'] = pad_crop(results['audios'][None],
                                     self.target_length)[0]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(target_length={self.target_length})'


@TRANSFORMS.register_module()
class SpecAugment(BaseTransform):
    """Frequency then time masking (torchaudio's draws; one step of
    :class:`AudioFrontEnd`).

    Required Keys:
        - audios

    Modified Keys:
        - audios

    Args:
        freqm (int): Maximum masked frequency bins; 0 disables.
        timem (int): Maximum masked frames; 0 disables.
    """

    def __init__(self, freqm: int = 48, timem: int = 192) -> None:
        self.freqm = freqm
        self.timem = timem

    def transform(self, results: Dict) -> Dict:
        results['audios'] = spec_augment(results['audios'][None], self.freqm,
                                         self.timem)[0]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(freqm={self.freqm}, '
                f'timem={self.timem})')


@TRANSFORMS.register_module()
class NormalizeFbank(BaseTransform):
    """``(fbank - mean) / std`` (one step of :class:`AudioFrontEnd`).

    Required Keys:
        - audios

    Modified Keys:
        - audios

    Args:
        mean (float): Defaults to AudioSet's -5.081.
        std (float): Defaults to AudioSet's 4.4849.
    """

    def __init__(self,
                 mean: float = AUDIOSET_MEAN,
                 std: float = AUDIOSET_STD) -> None:
        if std <= 0:
            raise ValueError(f'std must be > 0, got {std}')
        self.mean = mean
        self.std = std

    def transform(self, results: Dict) -> Dict:
        results['audios'] = normalize(results['audios'], self.mean, self.std)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mean={self.mean}, std={self.std})'


@TRANSFORMS.register_module()
class FbankNoiseRoll(BaseTransform):
    """Adds uniform noise of a random level, then rolls along time (one
    step of :class:`AudioFrontEnd`).

    ``fbank += rand(T, F) * u / 10`` with ``u ~ U(0, 1)``, then
    ``roll(fbank, k, dim=0)`` with ``k`` uniform in ``[-T, T)``, the
    reference's draws (numpy for ``u`` and ``k``, torch for the noise).

    Required Keys:
        - audios

    Modified Keys:
        - audios
    """

    def transform(self, results: Dict) -> Dict:
        fbank = results['audios'][None]
        results['audios'] = add_noise_and_roll(fbank,
                                               reference_noise_draws(fbank))[0]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


__all__ = [
    'LoadAudio', 'LoadAudioFromVideo', 'AudioFrontEnd', 'KaldiFbank',
    'WaveformAsInput', 'PadCropFbank', 'SpecAugment', 'NormalizeFbank',
    'FbankNoiseRoll', 'AUDIOSET_MEAN', 'AUDIOSET_STD'
]
