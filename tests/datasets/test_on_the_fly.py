"""On-the-fly mode: frames (decord) and audio (PyAV) from the video file."""
import pytest
import torch

from cavmae_mm.datasets import AudioVisualDataset

ON_THE_FLY = [
    dict(type='LoadAudioFromVideo'),
    dict(type='KaldiFbank', num_mel_bins=32),
    dict(type='PadCropFbank', target_length=64),
    dict(type='NormalizeFbank'),
    dict(type='DecordInit'),
    dict(type='SelectVideoFrames', mode='fixed'),
    dict(type='DecordDecode'),
    dict(type='ResizeCenterCrop', frame_size=32),
    dict(type='EncodeLabels'),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds'))
]
OFFLINE = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=32),
    dict(type='PadCropFbank', target_length=64),
    dict(type='NormalizeFbank'),
    dict(type='SelectFrames', mode='fixed'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', frame_size=32),
    dict(type='EncodeLabels'),
    dict(type='PackActionInputs', collect_keys=('audios', 'imgs'))
]


def make(synthetic, pipeline, **kwargs):
    return AudioVisualDataset(
        str(synthetic / 'datalist.json'),
        'labels.csv',
        data_root=str(synthetic),
        pipeline=pipeline,
        test_mode=True,
        **kwargs)


def test_reads_the_video_file_like_the_extraction(synthetic):
    live = make(synthetic, ON_THE_FLY, video_dir='videos')[3]
    offline = make(synthetic, OFFLINE)[3]
    # 1.5 s at 10 fps: N = 15, slot 5 is int(5 * 15 / 10) = 7, read by the
    # official extraction after seeking to 7 - 1: frame 6
    assert live['data_samples'].metainfo['frame_inds'].tolist() == [6]
    assert live['inputs']['imgs'].shape == (3, 32, 32)
    # the extracted wav differs only by its 16-bit rounding
    diff = (live['inputs']['audios'] - offline['inputs']['audios']).abs()
    assert diff.max() < 0.05
    # the extracted frame went through JPEG and another resize: close
    pixels = (live['inputs']['imgs'].float() -
              offline['inputs']['imgs'].float()).abs().mean()
    assert pixels < 12
    assert torch.equal(live['data_samples'].gt_label,
                       offline['data_samples'].gt_label)


def test_all_frames_and_missing_video(synthetic):
    pipeline = [
        dict(t, mode='all') if t['type'] == 'SelectVideoFrames' else t
        for t in ON_THE_FLY
    ]
    sample = make(synthetic, pipeline, video_dir='videos')[0]
    assert sample['inputs']['imgs'].shape == (10, 3, 32, 32)
    from cavmae_mm.datasets import DatumError
    with pytest.raises(DatumError, match='c0_000.avi'):
        make(synthetic, ON_THE_FLY, video_dir='videos', video_ext='.avi')[0]
