"""The device-side audio path: batched kaldi fbank equal to torchaudio's,
the whole deterministic chain equal to the CPU transforms, and the
augmentations' distributions."""
import numpy as np
import pytest
import torch

from cavmae_mm.audio import KaldiFbankBatch, pad_waveforms
from cavmae_mm.datasets.transforms import (AlignAudioToFrames, AudioFrontEnd,
                                           KaldiFbank, LoadAudio,
                                           NormalizeFbank, PadCropFbank,
                                           WaveformAsInput)
from cavmae_mm.models.data_preprocessors.fbank_on_device import FbankOnDevice
from cavmae_mm.registry import MODELS
from tests.datasets.helpers import write_tone
from tests.reference.official_inputs import ref_kaldi_fbank

LENGTHS = (400, 559, 16000, 23_917, 164_080 + 333)
MASKED = (0 + 5.081) / 4.4849  # a masked (zero) fbank value, normalised


def waveforms(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [0.1 * torch.randn(n, generator=gen) for n in LENGTHS]


def test_batched_fbank_equals_torchaudio_kaldi():
    waves = waveforms()
    module = KaldiFbankBatch()
    batch, lengths = pad_waveforms(waves)
    out = module(batch)
    frames = module.num_frames(lengths)
    for i, wave in enumerate(waves):
        expected = ref_kaldi_fbank(wave[None])
        assert int(frames[i]) == expected.shape[0]
        torch.testing.assert_close(
            out[i, :expected.shape[0]], expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize('target_length', [64, 300, 1024])
def test_device_chain_equals_the_cpu_transforms(tmp_path, target_length):
    """Same wav files: LoadAudio + KaldiFbank + PadCropFbank +
    NormalizeFbank on the CPU vs LoadAudio + WaveformAsInput + the data
    preprocessor's device path (evaluation: no augmentation)."""
    cpu_steps = [
        LoadAudio(),
        KaldiFbank(),
        PadCropFbank(target_length),
        NormalizeFbank()
    ]
    device_steps = [LoadAudio(), WaveformAsInput()]
    expected, shipped = [], []
    for index, seconds in enumerate((0.5, 1.37, 3.0)):
        wav = write_tone(
            tmp_path / f'{index}.wav',
            seconds=seconds,
            freq=300.0 + 100 * index)
        results = dict(audio_path=str(wav))
        for step in cpu_steps:
            results = step(results)
        expected.append(results['audios'])
        results = dict(audio_path=str(wav))
        for step in device_steps:
            results = step(results)
        shipped.append(results['waveforms'])
    preprocessor = MODELS.build(
        dict(
            type='AVDataPreprocessor',
            fbank_on_device=dict(target_length=target_length)))
    out = preprocessor(dict(inputs=dict(waveforms=shipped)), training=False)
    torch.testing.assert_close(
        out['inputs']['audios'], torch.stack(expected), rtol=0, atol=1e-4)


def device_fbank(**options):
    torch.manual_seed(0)
    module = FbankOnDevice(target_length=256, **options)
    # 3 s clips: 298 frames, cut to 256, no zero padding
    waves = [0.1 * torch.randn(48_000) for _ in range(200)]
    base = FbankOnDevice(target_length=256)(waves)
    return base, module(waves, training=True)


def test_segments_of_clips_equal_the_cpu_transforms(tmp_path):
    """CAV-MAE Sync's front end with K frames per clip: AudioFrontEnd
    (clip_length) + AlignAudioToFrames on the CPU vs the device module
    given each clip's frame slots ([B, K, T, F], clips of different
    lengths, slots at both ends and repeated)."""
    frontend = AudioFrontEnd(target_length=64, clip_length=256)
    align = AlignAudioToFrames(target_length=64)
    slots = [[0, 3, 7], [7, 7, 1], [2, 4, 6]]
    expected, shipped = [], []
    for index, seconds in enumerate((0.5, 1.37, 3.0)):
        wav = write_tone(tmp_path / f'{index}.wav', seconds=seconds)
        clip = dict(
            frame_slots=slots[index], num_frames=8, audio_path=str(wav))
        expected.append(align(frontend(LoadAudio()(dict(clip))))['audios'])
        shipped.append(WaveformAsInput()(LoadAudio()(dict(clip)))['waveforms'])
    module = FbankOnDevice(target_length=64, clip_length=256)
    out = module(shipped, frame_slots=slots, num_frames=[8] * 3)
    assert out.shape == (3, 3, 64, 128)
    torch.testing.assert_close(out, torch.stack(expected), rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match='give frame_slots and num_frames'):
        module(shipped)
    with pytest.raises(ValueError, match='same number'):
        module(shipped, frame_slots=[[0], [1, 2], [3]], num_frames=[8] * 3)
    with pytest.raises(ValueError, match='at least'):
        FbankOnDevice(target_length=64, clip_length=32)


def test_spec_augment_per_clip_distributions():
    base, freq_masked = device_fbank(freqm=48)
    masked_bins = (freq_masked == MASKED).all(dim=1).sum(dim=1).float()
    assert masked_bins.max() < 48
    assert len(set(masked_bins.tolist())) > 10  # independent per clip
    assert abs(masked_bins.mean() - 23.5) < 4  # width ~ U(0, 48) floored
    kept = freq_masked != MASKED
    assert torch.equal(freq_masked[kept], base[kept])

    _, time_masked = device_fbank(timem=64)
    masked_frames = (time_masked == MASKED).all(dim=2).sum(dim=1).float()
    assert masked_frames.max() < 64
    assert abs(masked_frames.mean() - 31.5) < 5


def test_noise_and_roll_per_clip():
    base, noisy = device_fbank(noise=True)
    shifts = []
    for clip, original in zip(noisy, base, strict=True):
        residual = torch.stack([
            (clip - torch.roll(original, k, 0)).abs().max() for k in range(256)
        ])
        k = int(residual.argmin())
        shifts.append(k)
        difference = clip - torch.roll(original, k, 0)
        assert difference.min() >= -1e-5 and difference.max() <= 0.1 + 1e-5
    assert len(set(shifts)) > 50  # k ~ U{-T..T-1}, independent per clip


def test_evaluation_does_not_augment():
    base, _ = device_fbank()
    module = FbankOnDevice(target_length=256, freqm=48, timem=64, noise=True)
    torch.manual_seed(0)
    waves = [0.1 * torch.randn(48_000) for _ in range(200)]
    assert torch.equal(module(waves, training=False), base)


def test_waveform_as_input_contract(tmp_path):
    wav = write_tone(tmp_path / 'a.wav', seconds=1.0)
    results = WaveformAsInput()(LoadAudio()(dict(audio_path=str(wav))))
    assert results['waveforms'].shape == (16000, )
    assert abs(float(results['waveforms'].mean())) < 1e-6
    assert 'audios' not in results  # named for what it holds
    assert 'waveform' not in results
    short = dict(
        waveform=torch.zeros(1, 100),
        sample_rate=16000,
        audio_path='short.wav')
    with pytest.raises(ValueError, match='short.wav: audio has 100 samples'):
        WaveformAsInput()(short)
    other_rate = dict(
        waveform=torch.zeros(1, 8000), sample_rate=8000, audio_path='x.wav')
    with pytest.raises(ValueError, match='x.wav: audio at 8000 Hz'):
        WaveformAsInput()(other_rate)
    assert 'WaveformAsInput(sample_rate=16000' in repr(WaveformAsInput())


def test_a_training_step_on_device_fbank(build):
    from tests.helpers import tiny_pretrain_cfg
    cfg = tiny_pretrain_cfg(
        data_preprocessor=dict(
            type='AVDataPreprocessor',
            fbank_on_device=dict(
                num_mel_bins=32,
                target_length=64,
                freqm=8,
                timem=16,
                noise=True)))
    model = build(cfg)
    model.init_weights()
    rng = np.random.default_rng(0)
    batch = dict(
        inputs=dict(
            waveforms=[
                torch.from_numpy(rng.standard_normal(n)).float()
                for n in (8000, 12000)
            ],
            imgs=[
                torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
                for _ in range(2)
            ]))
    data = model.data_preprocessor(batch, training=True)
    assert data['inputs']['audios'].shape == (2, 64, 32)
    losses = model(**data, mode='loss')
    assert torch.isfinite(
        sum(v for k, v in losses.items() if k.startswith('loss')))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_on_cuda_equals_the_cpu_module():
    waves = waveforms()
    cpu = FbankOnDevice(target_length=1024)
    gpu = FbankOnDevice(target_length=1024).cuda()
    out = gpu(waves)
    assert out.is_cuda
    torch.testing.assert_close(out.cpu(), cpu(waves), rtol=0, atol=1e-4)


def test_device_fbank_is_a_registered_component(build):
    """The data preprocessor builds it through the registry (type optional);
    waveforms without it, or with fbank as well, are refused."""
    from cavmae_mm.models.data_preprocessors import FbankOnDevice
    preprocessor = MODELS.build(
        dict(
            type='AVDataPreprocessor',
            fbank_on_device=dict(type='FbankOnDevice', num_mel_bins=32)))
    assert isinstance(preprocessor.fbank_on_device, FbankOnDevice)
    assert MODELS.get('FbankOnDevice') is FbankOnDevice
    wave = [torch.randn(8000)]
    plain = MODELS.build(dict(type='AVDataPreprocessor'))
    with pytest.raises(KeyError, match='no fbank_on_device'):
        plain(dict(inputs=dict(waveforms=wave)))
    with pytest.raises(KeyError, match='both fbank'):
        preprocessor(
            dict(inputs=dict(waveforms=wave, audios=[torch.zeros(4, 32)])))
