"""CAV-MAE Sync's data (configs/_base_/datasets/sync_frames.py) from every
source the CAV-MAE recipes read: extracted files, WebDataset shards packed
from them (the same samples, bit for bit) and the video files (the same up
to the extraction's rounding)."""
import copy
import json

import pytest
import torch

from cavmae_mm.config import load_config
from cavmae_mm.datasets import AudioVisualDataset, ShardedAudioVisualDataset
from tests.datasets.shards_helpers import pack, video_datalist
from tests.helpers import ROOT
from tests.tool_loader import load_tool

FRAMES = 16
#: small sizes for speed: 0.64 s segments of the clip padded to 1.6 s
SIZES = {
    'AudioFrontEnd': dict(target_length=64, clip_length=160),
    'AlignAudioToFrames': dict(target_length=64),
    'ResizeCenterCrop': dict(frame_size=32),
}


def pipeline(name):
    """A pipeline of the Sync dataset base, at the test's sizes, with the
    label step the classification recipes add."""
    cfg = load_config(str(ROOT / 'configs/_base_/datasets/sync_frames.py'))
    steps = copy.deepcopy(list(cfg[name]))
    for step in steps:
        step.update(SIZES.get(step['type'], {}))
    steps.insert(-1, dict(type='EncodeLabels', label_smooth=0.0))
    return steps


@pytest.fixture(scope='module')
def clips16(synthetic):
    """The synthetic set with the 16 frames Sync reads extracted
    (frames16/), its datalist, and the same clips as video files."""
    folder = synthetic / 'frames16'
    if not folder.exists():
        extract_frames = load_tool('tools/data/extract_frames.py')
        assert extract_frames.main([
            str(synthetic / 'videos'),
            str(folder), '--size', '40', '--num-frames',
            str(FRAMES)
        ]) == 0
    data = json.loads((synthetic / 'datalist.json').read_text())['data']
    for entry in data:
        entry['video_path'] = 'frames16'
    datalist = synthetic / 'datalist16.json'
    datalist.write_text(json.dumps(dict(data=data)))
    return synthetic, datalist


def files_dataset(root, datalist, name='sync_clip_pipeline'):
    return AudioVisualDataset(
        ann_file=str(datalist),
        data_root=str(root),
        label_file='labels.csv',
        pipeline=pipeline(name),
        test_mode=True)


def test_clips_from_files(clips16):
    root, datalist = clips16
    sample = files_dataset(root, datalist)[0]
    audios, imgs = sample['inputs']['audios'], sample['inputs']['imgs']
    assert audios.shape == (FRAMES, 64, 128)
    assert imgs.shape == (FRAMES, 3, 32, 32)
    # the 1.5 s clip fills the first 150 of 160 frames: the segments of the
    # first frames differ, the last ones sit on the same padded end
    assert not torch.equal(audios[0], audios[8])
    assert torch.equal(audios[14], audios[15])


def test_shards_give_the_files_samples(clips16, tmp_path):
    root, datalist = clips16
    assert pack(datalist, tmp_path / 'shards', data_root=root) == 0
    shards = ShardedAudioVisualDataset(
        ann_file=str(tmp_path / 'shards' / 'manifest.json'),
        label_file=str(root / 'labels.csv'),
        pipeline=pipeline('sync_clip_pipeline'),
        test_mode=True)
    files = files_dataset(root, datalist)
    by_id = {
        files[i]['data_samples'].metainfo['video_id']: files[i]
        for i in range(len(files))
    }
    assert len(shards) == len(files) == 6
    for i in range(len(shards)):
        sample = shards[i]
        ref = by_id[sample['data_samples'].metainfo['video_id']]
        for key in ('audios', 'imgs'):
            assert torch.equal(sample['inputs'][key], ref['inputs'][key])


def test_videos_give_the_files_samples(clips16):
    root, datalist = clips16
    videos = AudioVisualDataset(
        ann_file=str(video_datalist(root)),
        data_root=str(root),
        label_file='labels.csv',
        pipeline=pipeline('sync_clip_pipeline_videos'),
        test_mode=True)
    files = files_dataset(root, datalist)
    for i in (0, 5):
        live, ref = videos[i], files[i]
        assert live['data_samples'].metainfo['video_id'] == \
            ref['data_samples'].metainfo['video_id']
        # the wav's 16-bit rounding; the frames' JPEG and the 40 px
        # extraction's extra resize
        audio = (live['inputs']['audios'] - ref['inputs']['audios']).abs()
        assert audio.mean() < 2e-3 and audio.max() < 0.1
        pixels = (live['inputs']['imgs'].float() -
                  ref['inputs']['imgs'].float()).abs().mean()
        assert pixels < 12


def test_training_sample_pairs_its_frame_with_its_segment(clips16):
    """One random frame: its segment is the clip pipeline's for the same
    frame."""
    root, datalist = clips16
    train = AudioVisualDataset(
        ann_file=str(datalist),
        data_root=str(root),
        label_file='labels.csv',
        pipeline=pipeline('sync_train_pipeline'))
    clip = files_dataset(root, datalist)[2]['inputs']
    sample = train[2]
    (slot, ) = sample['data_samples'].metainfo['frame_inds']
    assert torch.equal(sample['inputs']['audios'], clip['audios'][slot])
    assert torch.equal(sample['inputs']['imgs'], clip['imgs'][slot])
