"""tools/data/pack_shards.py: the synthetic set packed into shards gives
the file route's tensors bit for bit, reruns pack only what is missing, and
the check finds what is wrong."""
import json
import shutil

import pytest
import torch

from cavmae_mm.datasets import AudioVisualDataset, ShardedAudioVisualDataset
from tests.datasets.helpers import write_frames, write_tone
from tests.datasets.shards_helpers import (TEST_PIPELINE, VIDEO_PIPELINE, pack,
                                           pack_tool, video_datalist)


def assert_same_samples(files, shards):
    assert len(files) == len(shards)
    for i in range(len(files)):
        a, b = files[i], shards[i]
        assert a['data_samples'].video_id == b['data_samples'].video_id
        assert a['data_samples'].metainfo['frame_inds'] == \
            b['data_samples'].metainfo['frame_inds'] or torch.equal(
                torch.as_tensor(a['data_samples'].metainfo['frame_inds']),
                torch.as_tensor(b['data_samples'].metainfo['frame_inds']))
        for key in ('audios', 'imgs'):
            assert torch.equal(a['inputs'][key], b['inputs'][key]), (i, key)
        assert torch.equal(a['data_samples'].gt_label,
                           b['data_samples'].gt_label)


@pytest.fixture(scope='module')
def packed(synthetic, tmp_path_factory):
    out = tmp_path_factory.mktemp('shards') / 'train'
    assert pack(
        synthetic / 'datalist.json',
        out,
        '--samples-per-shard',
        4,
        data_root=synthetic) == 0
    return out


def dataset(kind, ann_file, root, pipeline=TEST_PIPELINE, **kwargs):
    return kind(
        ann_file=str(ann_file),
        label_file='labels.csv',
        data_root=str(root),
        pipeline=pipeline,
        test_mode=True,
        **kwargs)


def test_test_pipeline_gives_the_file_tensors(packed, synthetic):
    manifest = json.loads((packed / 'manifest.json').read_text())
    assert [s['nsamples'] for s in manifest['shardlist']] == [4, 2]
    assert manifest['cavmae_mm']['num_samples'] == 6
    # the clips are spread over the shards in a seeded order, but the
    # dataset presents them in datalist order
    first = [s[0] for s in manifest['shardlist'][0]['samples']]
    assert first != sorted(first)
    files = dataset(AudioVisualDataset, synthetic / 'datalist.json', synthetic)
    shards = dataset(ShardedAudioVisualDataset, packed / 'manifest.json',
                     synthetic)
    assert shards.metainfo == files.metainfo
    assert_same_samples(files, shards)
    # two shards, each opened once for six samples
    assert shards.store.opens == 2


def test_raw_videos_give_the_file_tensors(synthetic, tmp_path):
    datalist = video_datalist(synthetic)
    assert pack(datalist, tmp_path / 'v', data_root=synthetic) == 0
    files = dataset(AudioVisualDataset, datalist, synthetic, VIDEO_PIPELINE)
    shards = dataset(ShardedAudioVisualDataset,
                     tmp_path / 'v' / 'manifest.json', synthetic,
                     VIDEO_PIPELINE)
    assert_same_samples(files, shards)


def test_rerun_packs_only_what_is_missing(packed, synthetic, tmp_path, capsys):
    out = tmp_path / 'copy'
    shutil.copytree(packed, out)
    before = (out / 'shard-000001.tar').read_bytes()
    # an interrupted write of shard 1: its tar is cut, its index absent
    (out / 'shard-000001.tar').write_bytes(before[:1000])
    (out / 'shard-000001.json').unlink()
    (out / 'manifest.json').unlink()
    capsys.readouterr()
    assert pack(
        synthetic / 'datalist.json',
        out,
        '--samples-per-shard',
        4,
        data_root=synthetic) == 0
    assert '1 already packed, 1 to pack' in capsys.readouterr().out
    # the same inputs give the same bytes (fixed member times)
    assert (out / 'shard-000001.tar').read_bytes() == before
    assert (out / 'manifest.json').read_text() == \
        (packed / 'manifest.json').read_text()
    with pytest.raises(SystemExit, match='samples_per_shard'):
        pack(
            synthetic / 'datalist.json',
            out,
            '--samples-per-shard',
            2,
            data_root=synthetic)


def test_verify_names_the_shard_and_the_reason(packed, tmp_path, capsys):
    out = tmp_path / 'copy'
    shutil.copytree(packed, out)
    assert pack_tool.main(['--verify', str(out)]) == 0
    data = bytearray((out / 'shard-000000.tar').read_bytes())
    data[5000] ^= 0xFF
    (out / 'shard-000000.tar').write_bytes(bytes(data))
    capsys.readouterr()
    assert pack_tool.main(['--verify', str(out)]) == 1
    assert 'shard-000000.tar: SHA-256 differs' in capsys.readouterr().err
    (out / 'shard-000001.tar').write_bytes(b'')
    assert pack_tool.main(['--verify', str(out)]) == 1
    assert 'shard-000001.tar: 0 bytes' in capsys.readouterr().err


def test_missing_files_stop_the_packing_or_are_left_out(tmp_path):
    (tmp_path / 'audio').mkdir()
    entries = []
    for i in range(4):
        if i != 1:  # clip 1 has no wav
            write_tone(tmp_path / 'audio' / f'v{i}.wav', seconds=0.5)
        write_frames(tmp_path / 'frames', f'v{i}', [0, 4], size=(48, 40))
        entries.append(
            dict(
                video_id=f'v{i}',
                wav=f'audio/v{i}.wav',
                video_path='frames',
                labels='/m/a'))
    datalist = tmp_path / 'data.json'
    datalist.write_text(json.dumps(dict(data=entries)))
    with pytest.raises(SystemExit, match=r'datum 1: .*v1.wav: audio file '):
        pack(datalist, tmp_path / 'out', data_root=tmp_path)
    assert pack(
        datalist, tmp_path / 'out2', '--allow-missing',
        data_root=tmp_path) == 0
    manifest = json.loads((tmp_path / 'out2' / 'manifest.json').read_text())
    assert manifest['cavmae_mm']['datalist_size'] == 4
    assert manifest['cavmae_mm']['num_samples'] == 3
    assert manifest['cavmae_mm']['excluded'][0]['datum'] == 1


def test_shard_size_in_bytes(packed, synthetic, tmp_path):
    sizes = [
        s['filesize']
        for s in json.loads((packed /
                             'manifest.json').read_text())['shardlist']
    ]
    target = sum(sizes) // 3
    assert pack(
        synthetic / 'datalist.json',
        tmp_path / 'b',
        '--shard-size',
        target,
        data_root=synthetic) == 0
    shards = json.loads(
        (tmp_path / 'b' / 'manifest.json').read_text())['shardlist']
    assert len(shards) >= 3
    # each shard holds whole clips up to about the target
    assert all(s['filesize'] <= target + 100_000 for s in shards)
    assert sum(s['nsamples'] for s in shards) == 6
    assert pack_tool.parse_size('1.5GB') == int(1.5 * 1024**3)
