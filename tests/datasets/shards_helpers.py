"""Shards for the tests: the synthetic set packed by the real tool, and
test pipelines that read clips as the recipes' evaluation does."""
import json
from pathlib import Path

from tests.tool_loader import load_tool

pack_tool = load_tool('tools/data/pack_shards.py')

# the evaluation pipeline of the recipes (all 10 frames, the frame resize)
TEST_PIPELINE = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=32),
    dict(type='PadCropFbank', target_length=64),
    dict(type='NormalizeFbank'),
    dict(type='SelectFrames', mode='all'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', frame_size=32),
    dict(type='EncodeLabels', label_smooth=0.0),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]
# the same straight from video files: the video steps in place of the
# loading ones
VIDEO_PIPELINE = [
    dict(type='DecodeAudio'), *TEST_PIPELINE[1:4],
    dict(type='DecodeOfficialFrames', mode='all'), *TEST_PIPELINE[6:]
]


def pack(datalist, out_dir, *options, data_root=None):
    """Runs tools/data/pack_shards.py in this process (one worker)."""
    args = [str(datalist), str(out_dir), *map(str, options)]
    if data_root is not None:
        args += ['--data-root', str(data_root)]
    return pack_tool.main(args)


def video_datalist(synthetic: Path) -> Path:
    """The synthetic set's datalist pointing at the video files."""
    entries = json.loads((synthetic / 'datalist.json').read_text())['data']
    videos = []
    for entry in entries:
        found = sorted((synthetic / 'videos').glob(f'{entry["video_id"]}.*'))
        videos.append(
            dict(
                video_id=entry['video_id'],
                labels=entry['labels'],
                video_path=str(found[0].relative_to(synthetic))))
    path = synthetic / 'datalist_videos.json'
    path.write_text(json.dumps(dict(data=videos)))
    return path
