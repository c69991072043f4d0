"""ShardedAudioVisualDataset: bad shards and samples are errors naming the
shard, the key and the reason (or skipped under the files' policy), and
shards are read over HTTP from a real local server."""
import io
import json
import socket

import pytest
import soundfile
import torch
from PIL import Image

from cavmae_mm.datasets import (AudioVisualMixupDataset, DatumError,
                                ShardedAudioVisualDataset)
from cavmae_mm.datasets.shards import ShardError
from cavmae_mm.datasets.shards.writer import write_manifest, write_shard
from tests.datasets.helpers import LABELS
from tests.datasets.shards_helpers import TEST_PIPELINE
from tests.tool_loader import load_tool

# the benchmark's real HTTP server on a free local port
LocalServer = load_tool('tools/analysis_tools/shard_io.py').LocalServer


def wav_bytes(seconds=0.5, freq=440.0):
    t = torch.arange(int(16000 * seconds)) / 16000
    out = io.BytesIO()
    soundfile.write(
        out, (0.3 * torch.sin(2 * torch.pi * freq * t)).numpy(),
        16000,
        format='WAV',
        subtype='PCM_16')
    return out.getvalue()


def jpg_bytes(shade):
    out = io.BytesIO()
    Image.new('RGB', (48, 40), (shade, 255 - shade, 90)).save(out, 'JPEG')
    return out.getvalue()


def clip_members(i, frames=range(10), wav=True):
    members = {f'frame_{k}.jpg': jpg_bytes(20 * i + k) for k in frames}
    if wav:
        members['wav'] = wav_bytes(freq=300 + 100 * i)
    return members


def write_set(folder, clips, per_shard=2):
    """Shards of ``clips`` (members per clip), ``per_shard`` per shard, and
    their manifest; returns the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'labels.csv').write_text(LABELS)
    entries = []
    for start in range(0, len(clips), per_shard):
        samples = [(dict(datum=i, video_id=f'v{i}', labels='/m/a'), clips[i])
                   for i in range(start, min(start + per_shard, len(clips)))]
        entries.append(
            write_shard(folder / f'shard-{start // per_shard:06d}.tar',
                        samples))
    return write_manifest(folder / 'manifest.json', entries, 'test', 'x.json',
                          len(clips), [])


def make(ann_file, root, **kwargs):
    return ShardedAudioVisualDataset(
        ann_file=str(ann_file),
        label_file=str(root / 'labels.csv'),
        pipeline=TEST_PIPELINE,
        **kwargs)


def test_missing_members_follow_the_file_route(tmp_path):
    manifest = write_set(tmp_path, [
        clip_members(0),
        clip_members(1, frames=[0, 1, 2, 7]),
        clip_members(2, wav=False),
        clip_members(3, frames=[]),
    ])
    data = make(manifest, tmp_path, test_mode=True)
    # a missing frame falls back to the nearest earlier one, as with files
    assert data[1]['data_samples'].metainfo['frame_inds'] == \
        [0, 1, 2, 2, 2, 2, 2, 7, 7, 7]
    with pytest.raises(
            DatumError,
            match=r'shard-000001.tar#000000002\.wav: '
            r'the sample has no wav'):
        data[2]
    with pytest.raises(
            DatumError,
            match=r'shard-000001.tar#000000003: the sample has '
            'no frames'):
        data[3]


def test_truncated_and_corrupt_shards(tmp_path):
    manifest = write_set(tmp_path, [clip_members(i) for i in range(4)])
    tar0, tar1 = tmp_path / 'shard-000000.tar', tmp_path / 'shard-000001.tar'
    tar0.write_bytes(tar0.read_bytes()[:20000])
    data = bytearray(tar1.read_bytes())
    second = json.loads(manifest.read_text())['shardlist'][1]['samples'][1]
    data[second[3] + 100] ^= 0x55  # the second sample's first header
    tar1.write_bytes(bytes(data))
    dataset = make(manifest, tmp_path, test_mode=True)
    with pytest.raises(
            DatumError,
            match=r'datum 0 \(v0, .*shard-000000.tar\)'
            r'.*bytes, the manifest says .*truncated'):
        dataset[0]
    with pytest.raises(
            DatumError,
            match=r'shard-000001.tar#at byte \d+: '
            'corrupt tar header'):
        dataset[3]
    assert dataset[2]['inputs']['audios'].shape == (64, 32)


def test_bad_samples_are_skipped_and_recorded(tmp_path):
    manifest = write_set(
        tmp_path,
        [clip_members(0),
         clip_members(1, wav=False),
         clip_members(2)])
    dataset = make(manifest, tmp_path, on_error='skip')
    sample = dataset[1]
    replaced = sample['data_samples'].metainfo['replaced']
    assert len(replaced) == 1
    assert 'datum 1 (v1' in replaced[0]['datum']
    assert 'the sample has no wav' in replaced[0]['reason']
    assert sample['data_samples'].video_id in ('v0', 'v2')


def test_mixup_wrapper_reads_partners_from_shards(tmp_path):
    manifest = write_set(tmp_path, [clip_members(i) for i in range(3)])
    load = [
        dict(type='LoadAudio'),
        dict(type='SelectFrames', mode='random'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop', frame_size=32)
    ]
    mixed = AudioVisualMixupDataset(
        dict(
            type='ShardedAudioVisualDataset',
            ann_file=str(manifest),
            label_file=str(tmp_path / 'labels.csv'),
            pipeline=load), [
                dict(type='AudioVisualMixup', prob=1.0),
                dict(type='EncodeLabels'),
                dict(type='KaldiFbank', num_mel_bins=32),
                dict(type='PadCropFbank', target_length=64),
                dict(
                    type='PackActionInputs',
                    collect_keys=('audios', 'imgs'),
                    meta_keys=('video_id', 'mix_lambda'))
            ])
    sample = mixed[0]
    assert sample['inputs']['audios'].shape == (64, 32)
    assert 0 <= sample['data_samples'].metainfo['mix_lambda'] <= 1
    # the partner comes from the clip's own shard (no other shard is read)
    mixing = mixed.pipeline.transforms[0]
    partners = {mixing.get_indexes(mixed.dataset, 2)[0] for _ in range(50)}
    assert partners == {2}  # clip 2 is alone in the second shard
    partners = {mixing.get_indexes(mixed.dataset, 0)[0] for _ in range(50)}
    assert partners == {0, 1}


@pytest.fixture
def served(tmp_path):
    root = tmp_path / 'www'
    manifest = write_set(root / 'set', [clip_members(i) for i in range(4)])
    server = LocalServer(root)
    yield server, manifest
    server.close()


def test_http_shards_are_cached_and_identical(served, tmp_path):
    server, manifest = served
    url = f'{server.url}/set/manifest.json'
    local = make(manifest, manifest.parent, test_mode=True)
    remote = make(
        url, manifest.parent, test_mode=True, cache_dir=str(tmp_path / 'c'))
    for i in range(4):
        for key in ('audios', 'imgs'):
            assert torch.equal(local[i]['inputs'][key],
                               remote[i]['inputs'][key])
    shard_gets = [r for r in server.requests if r.endswith('.tar')]
    assert len(shard_gets) == 2
    # another process of the node (a new dataset) uses the cached copies
    again = make(
        url, manifest.parent, test_mode=True, cache_dir=str(tmp_path / 'c'))
    again[3]
    assert len([r for r in server.requests if r.endswith('.tar')]) == 2


def test_http_errors_name_the_url_and_reason(served, tmp_path):
    server, manifest = served
    url = f'{server.url}/set/manifest.json'
    (manifest.parent / 'shard-000001.tar').unlink()
    tar0 = manifest.parent / 'shard-000000.tar'
    data = bytearray(tar0.read_bytes())
    data[-2000] ^= 1  # in the end padding: only the checksum can tell
    tar0.write_bytes(bytes(data))
    dataset = make(
        url, manifest.parent, test_mode=True, cache_dir=str(tmp_path / 'c'))
    with pytest.raises(
            DatumError, match=r'shard-000000.tar: SHA-256 of the download'):
        dataset[0]
    with pytest.raises(DatumError, match=r'set/shard-000001.tar: HTTP 404'):
        dataset[2]
    # nothing half-downloaded is left looking like a shard
    cached = [p.name for p in (tmp_path / 'c').rglob('*.tar')]
    assert cached == []
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    with pytest.raises(
            ShardError, match=rf'127.0.0.1:{port}/m.json: unreachable'):
        make(f'http://127.0.0.1:{port}/m.json', manifest.parent)
