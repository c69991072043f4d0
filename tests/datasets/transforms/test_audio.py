"""Audio transforms: contract, errors, reference parity, augmentations."""
import numpy as np
import pytest
import torch

from cavmae_mm.datasets.transforms import (FbankNoiseRoll, KaldiFbank,
                                           LoadAudio, NormalizeFbank,
                                           PadCropFbank, SpecAugment)
from tests.datasets.helpers import pipeline as Compose
from tests.datasets.helpers import write_tone
from tests.reference.official_inputs import ref_fbank

EVAL_AUDIO = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank'),
    dict(type='PadCropFbank', target_length=1024),
    dict(type='NormalizeFbank')
]


def test_eval_fbank_matches_reference(clip):
    pipeline = Compose(EVAL_AUDIO)
    out = pipeline(dict(audio_path=clip['audio_path']))
    ref = ref_fbank(clip['audio_path'])
    assert out['audios'].shape == (1024, 128)
    assert (out['audios'] - ref).abs().max() < 1e-4
    assert 'waveform' not in out


def test_long_audio_is_cut(tmp_path):
    path = write_tone(tmp_path / 'long.wav', seconds=11)
    out = Compose(EVAL_AUDIO)(dict(audio_path=str(path)))
    assert out['audios'].shape == (1024, 128)
    assert torch.allclose(out['audios'], ref_fbank(path), atol=1e-4)


@pytest.mark.parametrize('make,match', [
    (lambda p: p, 'audio file not found'),
    (lambda p: p.write_bytes(b'') or p, 'cannot decode audio'),
    (lambda p: p.write_bytes(b'RIFF\x00\x00\x00\x00WAVEjunkjunk') or p,
     'cannot decode audio'),
    (lambda p: p.write_bytes(b'\x89PNG not audio at all') or p,
     'cannot decode audio'),
    (lambda p: write_tone(p, rate=44100), 'sample rate 44100 Hz'),
    (lambda p: write_tone(p, channels=2), '2 channels'),
    (lambda p: write_tone(p, seconds=0.01), 'shorter than one'),
])
def test_bad_audio_raises_naming_the_file(tmp_path, make, match):
    path = tmp_path / 'bad.wav'
    make(path)
    with pytest.raises((ValueError, FileNotFoundError), match=match) as err:
        Compose(EVAL_AUDIO)(dict(audio_path=str(path)))
    assert 'bad.wav' in str(err.value)


def test_truncated_wav_raises(tmp_path):
    path = write_tone(tmp_path / 'cut.wav')
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ValueError, match='cut.wav'):
        Compose(EVAL_AUDIO)(dict(audio_path=str(path)))


def test_resampling_only_when_asked(tmp_path):
    path = write_tone(tmp_path / 'hi.wav', rate=32000)
    out = LoadAudio(resample=True)(dict(audio_path=str(path)))
    assert out['sample_rate'] == 16000
    assert abs(out['waveform'].shape[1] - 24000) <= 1


def test_pad_and_crop():
    pad = PadCropFbank(8)(dict(audios=torch.ones(5, 3)))['audios']
    assert pad.shape == (8, 3) and pad[5:].abs().sum() == 0
    crop = PadCropFbank(4)(dict(audios=torch.arange(18.).view(6, 3)))
    assert torch.equal(crop['audios'], torch.arange(12.).view(4, 3))


def test_specaugment_masks_bands_within_limits():
    torch.manual_seed(0)
    widths_f, widths_t = [], []
    for _ in range(200):
        out = SpecAugment(
            freqm=48, timem=192)(dict(audios=torch.ones(1024, 128)))['audios']
        zero = out == 0
        widths_f.append(int(zero.all(0).sum()))
        widths_t.append(int(zero.all(1).sum()))
    # torchaudio draws the width uniformly in [0, param): mean ~ param / 2
    assert max(widths_f) < 48 and max(widths_t) < 192
    assert 18 < np.mean(widths_f) < 30 and 80 < np.mean(widths_t) < 112


def test_normalize_and_noise_roll_statistics():
    out = NormalizeFbank(
        mean=1.0, std=2.0)(
            dict(audios=torch.full((4, 2), 5.0)))
    assert torch.equal(out['audios'], torch.full((4, 2), 2.0))
    torch.manual_seed(0)
    np.random.seed(0)
    base = torch.zeros(1024, 128)
    base[0] = 100.0  # a marker row shows the roll
    shifts, levels = [], []
    for _ in range(300):
        out = FbankNoiseRoll()(dict(audios=base.clone()))['audios']
        shifts.append(int(out[:, 0].argmax()))
        levels.append(float((out - out.round(decimals=-2)).max()))
    # noise is below u/10 <= 0.1; the marker lands anywhere in [0, T)
    assert 0 < max(levels) <= 0.1
    assert min(shifts) < 100 and max(shifts) > 900


def test_reprs_name_their_settings():
    assert repr(SpecAugment(4, 5)) == 'SpecAugment(freqm=4, timem=5)'
    assert 'num_mel_bins=128' in repr(KaldiFbank())
    assert 'resample=False' in repr(LoadAudio())


def test_encode_labels_uses_and_checks_the_dataset_class_count():
    from cavmae_mm.datasets.transforms import EncodeLabels
    out = EncodeLabels(label_smooth=0.1)(
        dict(label_indices=[1], num_classes=4))
    assert torch.allclose(out['label'],
                          torch.tensor([0.025, 0.9, 0.025, 0.025]))
    with pytest.raises(ValueError, match='dataset has 4 classes'):
        EncodeLabels(num_classes=5)(dict(label_indices=[1], num_classes=4))
    with pytest.raises(KeyError, match='needs num_classes'):
        EncodeLabels()(dict(label_indices=[1]))
    with pytest.raises(ValueError, match='outside'):
        EncodeLabels(num_classes=2)(dict(label_indices=[3]))


def test_train_audio_path_follows_the_reference_order(clip):
    from tests.reference.official_inputs import ref_train_fbank
    train = Compose([
        dict(type='LoadAudio'),
        dict(type='KaldiFbank'),
        dict(type='PadCropFbank', target_length=1024),
        dict(type='SpecAugment', freqm=48, timem=192),
        dict(type='NormalizeFbank'),
        dict(type='FbankNoiseRoll')
    ])
    for seed in range(3):
        torch.manual_seed(seed)
        np.random.seed(seed)
        ours = train(dict(audio_path=clip['audio_path']))['audios']
        torch.manual_seed(seed)
        np.random.seed(seed)
        ref = ref_train_fbank(clip['audio_path'], 48, 192)
        assert (ours - ref).abs().max() < 1e-4


def test_encode_labels_as_index_for_single_label_evaluation():
    from cavmae_mm.datasets.transforms import EncodeLabels
    out = EncodeLabels(as_index=True)(dict(label_indices=[2], num_classes=4))
    assert out['label'].dtype == torch.long and out['label'].tolist() == [2]
    with pytest.raises(ValueError, match='one label per clip'):
        EncodeLabels(as_index=True)(dict(label_indices=[1, 2], num_classes=4))
