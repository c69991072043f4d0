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
