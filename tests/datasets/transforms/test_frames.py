"""Frame transforms: selection and fallback, decoding, resize + crop,
and the eval-mode parity of the whole input path with the reference."""
import random
from collections import Counter

import pytest
import torch

from cavmae_mm.datasets.transforms import (LoadFrames, ResizeCenterCrop,
                                           SelectFrames)
from cavmae_mm.models.data_preprocessors import AVDataPreprocessor
from tests.datasets.helpers import pipeline, write_frames
from tests.reference.official_inputs import ref_fbank, ref_image

EVAL = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank'),
    dict(type='PadCropFbank'),
    dict(type='NormalizeFbank'),
    dict(type='SelectFrames', mode='fixed'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', frame_size=224),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds'))
]


def test_eval_inputs_after_preprocessor_match_reference(clip):
    packed = pipeline(EVAL)(dict(clip))
    assert packed['inputs']['imgs'].dtype == torch.uint8
    batch = AVDataPreprocessor()(
        dict(
            inputs=dict(
                audios=[packed['inputs']['audios']],
                imgs=[packed['inputs']['imgs']]),
            data_samples=[packed['data_samples']]))
    fbank = batch['inputs']['audios'][0]
    image = batch['inputs']['imgs'][0]
    assert (fbank - ref_fbank(clip['audio_path'])).abs().max() < 1e-4
    middle = f"{clip['video_path']}/frame_5/clip.jpg"
    assert (image - ref_image(middle)).abs().max() < 1e-5
    assert packed['data_samples'].metainfo['frame_inds'] == [5]


def test_random_selection_is_uniform_over_ten_frames(clip):
    random.seed(0)
    select = SelectFrames(mode='random')
    counts = Counter(select(dict(clip))['frame_inds'][0] for _ in range(2000))
    assert set(counts) == set(range(10))
    assert max(counts.values()) < 260 and min(counts.values()) > 140


def test_missing_frame_falls_back_to_the_nearest_earlier(tmp_path):
    root = write_frames(tmp_path, 'v', indices=[0, 1, 2, 7])
    out = SelectFrames(
        mode='fixed', frame_use=5)(
            dict(video_path=str(root), video_id='v'))
    assert out['frame_inds'] == [2]
    out = SelectFrames(mode='all')(dict(video_path=str(root), video_id='v'))
    assert out['frame_inds'] == [0, 1, 2, 2, 2, 2, 2, 7, 7, 7]


def test_missing_frame_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='no frame 5 or earlier'):
        SelectFrames()(dict(video_path=str(tmp_path / 'none'), video_id='v'))


def test_corrupt_jpeg_is_an_error(tmp_path):
    root = write_frames(tmp_path, 'v', indices=[5])
    bad = root / 'frame_5' / 'v.jpg'
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(ValueError, match='v.jpg: cannot decode frame'):
        pipeline([dict(type='SelectFrames'),
                  dict(type='LoadFrames')])(
                      dict(video_path=str(root), video_id='v'))


def test_all_frames_stack_for_multi_frame_testing(clip):
    out = pipeline([
        dict(type='SelectFrames', mode='all'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop', frame_size=64)
    ])(
        dict(clip))
    assert out['imgs'].shape == (10, 3, 64, 64)
    assert out['imgs'].dtype == torch.uint8


def test_bad_arguments_and_reprs():
    with pytest.raises(ValueError, match='mode must be one of'):
        SelectFrames(mode='middle')
    with pytest.raises(ValueError, match='frame_use'):
        SelectFrames(frame_use=10)
    assert repr(SelectFrames()) == \
        "SelectFrames(mode='fixed', frame_use=5, num_frames=10)"
    assert repr(ResizeCenterCrop(32)) == \
        "ResizeCenterCrop(frame_size=32, interpolation='bicubic')"
    assert repr(LoadFrames()) == 'LoadFrames()'
