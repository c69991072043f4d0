"""AVDataPreprocessor: batching, device move, image normalisation."""
import pytest
import torch
from mmaction.structures import ActionDataSample

from cavmae_mm.models.data_preprocessors import AVDataPreprocessor

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def test_uint8_frames_are_normalised_as_the_reference():
    frames = [
        torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8) for _ in range(2)
    ]
    audios = [torch.randn(16, 4) for _ in range(2)]
    out = AVDataPreprocessor()(
        dict(
            inputs=dict(audios=audios, imgs=frames),
            data_samples=[ActionDataSample(),
                          ActionDataSample()]))
    imgs = out['inputs']['imgs']
    assert imgs.dtype == torch.float32 and imgs.shape == (2, 3, 8, 8)
    reference = (torch.stack(frames).float() / 255 - MEAN) / STD
    assert (imgs - reference).abs().max() < 1e-5
    assert torch.equal(out['inputs']['audios'], torch.stack(audios))
    assert len(out['data_samples']) == 2


def test_float_frames_on_the_same_scale_are_accepted():
    frames = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    pre = AVDataPreprocessor()
    a = pre(dict(inputs=dict(imgs=frames)))['inputs']['imgs']
    b = pre(dict(inputs=dict(imgs=frames.float())))['inputs']['imgs']
    assert torch.equal(a, b)


def test_multi_frame_clips_are_normalised_per_channel():
    clip = torch.randint(0, 256, (2, 4, 3, 8, 8), dtype=torch.uint8)
    out = AVDataPreprocessor()(dict(inputs=dict(imgs=clip)))
    assert out['inputs']['imgs'].shape == (2, 4, 3, 8, 8)


def test_bad_inputs_raise():
    pre = AVDataPreprocessor()
    with pytest.raises(TypeError, match='expects data'):
        pre(dict(inputs=torch.zeros(1)))
    with pytest.raises(KeyError, match='unexpected input keys'):
        pre(
            dict(
                inputs=dict(audios=torch.zeros(1, 2, 2), text=torch.zeros(1))))
    with pytest.raises(ValueError, match='different shapes'):
        pre(dict(inputs=dict(audios=[torch.zeros(2, 2), torch.zeros(3, 2)])))
    with pytest.raises(ValueError, match='channels'):
        pre(dict(inputs=dict(imgs=torch.zeros(1, 1, 4, 4))))


def _mixed_sample(lam):
    sample = ActionDataSample()
    sample.set_metainfo(dict(mix_lambda=lam))
    return sample


def test_frame_pairs_are_mixed_after_the_copy_as_in_the_pipeline():
    """A mixed-up sample of AudioVisualMixup(frames_on_device=True) brings
    its clip's and its partner's uint8 frames; the preprocessor's mix equals
    the pipeline's float mix to the bit, next to unmixed samples."""
    from cavmae_mm.datasets import mix_samples
    rng = torch.Generator().manual_seed(0)
    clips = [
        torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8, generator=rng)
        for _ in range(4)
    ]
    lam = 0.37

    def mixed(pair_frames):
        first = dict(waveform=torch.randn(1, 50), imgs=clips[0])
        second = dict(waveform=torch.randn(1, 50), imgs=clips[1])
        return mix_samples(first, second, lam, pair_frames=pair_frames)

    paired = mixed(True)['imgs']
    assert paired.dtype == torch.uint8 and paired.shape == (2, 3, 8, 8)
    samples = [_mixed_sample(lam), ActionDataSample(), _mixed_sample(0.8)]
    pre = AVDataPreprocessor()
    on_device = pre(
        dict(
            inputs=dict(
                imgs=[paired, clips[2], mixed(True)['imgs']]),
            data_samples=samples))['inputs']['imgs']
    in_pipeline = pre(
        dict(
            inputs=dict(
                imgs=[mixed(False)['imgs'], clips[2],
                      mixed(False)['imgs']]),
            data_samples=[
                _mixed_sample(lam),
                ActionDataSample(),
                _mixed_sample(lam)
            ]))['inputs']['imgs']
    assert on_device.shape == (3, 3, 8, 8)
    assert torch.equal(on_device[:2], in_pipeline[:2])
    # the third pair carries its own lambda
    third = (0.8 * clips[0].float() + 0.2 * clips[1].float()) / 255
    assert torch.allclose(on_device[2], (third - MEAN) / STD, atol=1e-6)
    # a stacked batch of pairs (default collate) is mixed too
    stacked = pre(
        dict(
            inputs=dict(imgs=torch.stack([paired, paired])),
            data_samples=[_mixed_sample(lam),
                          _mixed_sample(lam)]))['inputs']['imgs']
    assert stacked.shape == (2, 3, 8, 8)
    assert torch.equal(stacked[0], in_pipeline[0])
    with pytest.raises(ValueError, match=r'pair \[2, \.\.\.\]'):
        pre(
            dict(
                inputs=dict(imgs=[clips[3]]),
                data_samples=[_mixed_sample(lam)]))
