"""The audio front end written once: the batched steps reproduce the
reference's per-clip computations bit for bit (same draws, same values),
and ``AudioFrontEnd`` equals the chain of single-step transforms."""
import numpy as np
import pytest
import torch
import torchaudio

from cavmae_mm.audio import (add_noise_and_roll, batch_noise_draws, pad_crop,
                             reference_fbank, reference_noise_draws,
                             spec_augment)
from cavmae_mm.datasets.transforms import (AudioFrontEnd, FbankNoiseRoll,
                                           KaldiFbank, NormalizeFbank,
                                           PadCropFbank, SpecAugment)
from tests.reference.official_inputs import ref_kaldi_fbank


def fbank_of(frames=700, bins=128, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(frames, bins, generator=gen) * 3 - 5


def assert_bitwise(actual, expected):
    assert actual.shape == expected.shape
    assert torch.equal(actual, expected)


@pytest.mark.parametrize('frames', [300, 1024, 1500])
def test_pad_crop_of_one_clip_is_the_reference(frames):
    fbank = fbank_of(frames)
    missing = 1024 - frames
    if missing > 0:
        expected = torch.nn.functional.pad(fbank, (0, 0, 0, missing))
    else:
        expected = fbank[:1024]
    assert_bitwise(pad_crop(fbank[None], 1024)[0], expected)


def test_spec_augment_of_one_clip_draws_as_torchaudio():
    fbank = fbank_of()
    torch.manual_seed(3)
    spec = fbank.t().unsqueeze(0)
    spec = torchaudio.transforms.FrequencyMasking(48)(spec)
    expected = torchaudio.transforms.TimeMasking(192)(spec).squeeze(0).t()
    torch.manual_seed(3)
    actual = spec_augment(fbank[None], 48, 192)[0]
    assert_bitwise(actual, expected)
    assert (actual == 0).any()


def test_noise_and_roll_of_one_clip_draws_as_the_reference():
    fbank = fbank_of()
    torch.manual_seed(5)
    np.random.seed(5)
    noisy = fbank + torch.rand(fbank.shape) * np.random.rand() / 10
    expected = torch.roll(noisy, int(np.random.randint(-700, 700)), 0)
    torch.manual_seed(5)
    np.random.seed(5)
    actual = add_noise_and_roll(fbank[None],
                                reference_noise_draws(fbank[None]))[0]
    assert_bitwise(actual, expected)


def test_batch_draws_give_each_clip_its_own_level_and_shift():
    fbank = torch.zeros(4, 50, 8)
    draws = batch_noise_draws(fbank, torch.Generator().manual_seed(0))
    assert draws.levels.shape == (4, ) and draws.shifts.shape == (4, )
    out = add_noise_and_roll(fbank, draws)
    for clip in range(4):
        expected = torch.roll(draws.noise[clip] * draws.levels[clip] / 10,
                              int(draws.shifts[clip]), 0)
        torch.testing.assert_close(out[clip], expected)


def test_reference_fbank_is_the_official_call():
    wave = 0.1 * torch.randn(
        1, 16000, generator=torch.Generator().manual_seed(1))
    expected = ref_kaldi_fbank(wave - wave.mean())
    assert_bitwise(reference_fbank(wave), expected)


@pytest.mark.parametrize('train', [False, True])
def test_front_end_equals_the_chain_of_steps(train):
    wave = 0.1 * torch.randn(
        1, 30000, generator=torch.Generator().manual_seed(2))
    augment = dict(freqm=24, timem=40, noise=True) if train else {}
    steps = [KaldiFbank(), PadCropFbank(256)]
    if train:
        steps.append(SpecAugment(24, 40))
    steps.append(NormalizeFbank(-4.0, 3.0))
    if train:
        steps.append(FbankNoiseRoll())
    outputs = []
    for pipeline in (steps, [
            AudioFrontEnd(target_length=256, mean=-4.0, std=3.0, **augment)
    ]):
        torch.manual_seed(7)
        np.random.seed(7)
        results = dict(waveform=wave.clone(), sample_rate=16000)
        for step in pipeline:
            results = step(results)
        outputs.append(results['audios'])
    assert outputs[0].shape == (256, 128)
    assert_bitwise(outputs[1], outputs[0])


def test_front_end_rejects_a_non_positive_std():
    with pytest.raises(ValueError, match='std must be > 0'):
        AudioFrontEnd(std=0)
