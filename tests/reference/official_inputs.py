"""Functional restatement of the reference's eval-mode input preparation.

Audio: waveform - mean -> kaldi fbank (reference parameters) -> zero-pad or
cut to target_length -> (x - mean) / std. Image: torchvision Resize(224,
BICUBIC) on the PIL frame -> CenterCrop(224) -> ToTensor -> Normalize
(ImageNet). The wav is read with soundfile at torchaudio's scaling (the
reference used torchaudio.load, which needs torchcodec on torch 2.11).
"""
import numpy as np
import soundfile
import torch
import torchaudio
import torchvision.transforms as T
from PIL import Image


def ref_kaldi_fbank(waveform, sample_rate=16000):
    """The reference's kaldi fbank call on a [1, N] waveform (as given:
    the reference removes the mean before it)."""
    return torchaudio.compliance.kaldi.fbank(
        waveform,
        htk_compat=True,
        sample_frequency=sample_rate,
        use_energy=False,
        window_type='hanning',
        num_mel_bins=128,
        dither=0.0,
        frame_shift=10)


def ref_fbank(wav_path, target_length=1024, mean=-5.081, std=4.4849):
    data, sr = soundfile.read(str(wav_path), dtype='float32', always_2d=True)
    waveform = torch.from_numpy(np.ascontiguousarray(data.T))
    waveform = waveform - waveform.mean()
    fbank = ref_kaldi_fbank(waveform, sr)
    p = target_length - fbank.shape[0]
    if p > 0:
        fbank = torch.nn.ZeroPad2d((0, 0, 0, p))(fbank)
    elif p < 0:
        fbank = fbank[:target_length, :]
    return (fbank - mean) / std


def ref_image(jpg_path, size=224):
    preprocess = T.Compose([
        T.Resize(size, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(size),
        T.ToTensor(),
        T.Normalize(
            mean=[0.4850, 0.4560, 0.4060], std=[0.2290, 0.2240, 0.2250])
    ])
    return preprocess(Image.open(jpg_path))


def ref_train_fbank(wav_path,
                    freqm,
                    timem,
                    target_length=1024,
                    mean=-5.081,
                    std=4.4849,
                    noise=True):
    """The reference's training-mode audio path without mixup, with its
    random draws in its order: torchaudio masks (torch), noise level (numpy
    rand), noise (torch rand), roll (numpy randint)."""
    fbank = ref_fbank(wav_path, target_length, mean=0.0, std=1.0)
    fbank = fbank.t().unsqueeze(0)
    if freqm:
        fbank = torchaudio.transforms.FrequencyMasking(freqm)(fbank)
    if timem:
        fbank = torchaudio.transforms.TimeMasking(timem)(fbank)
    fbank = fbank.squeeze(0).t()
    fbank = (fbank - mean) / std
    if noise:
        fbank = fbank + torch.rand(fbank.shape[0], fbank.shape[1]) * \
            np.random.rand() / 10
        fbank = torch.roll(fbank,
                           np.random.randint(-target_length, target_length), 0)
    return fbank
