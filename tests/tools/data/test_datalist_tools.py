"""build_datalist, check_datalist, compute_norm_stats and the extraction
tools' inputs (every tool's --help: tests/tools/test_help.py)."""
import json
import shutil
from collections import Counter

import numpy as np
import pytest
import torch

from cavmae_mm.datasets import AudioVisualDataset
from tests.datasets.helpers import write_tone
from tests.tool_loader import load_tool

build_datalist = load_tool('tools/data/build_datalist.py')
check_datalist = load_tool('tools/data/check_datalist.py')
compute_norm_stats = load_tool('tools/data/compute_norm_stats.py')


@pytest.fixture
def workdir(synthetic, tmp_path):
    for name in ('audio', 'frames'):
        shutil.copytree(synthetic / name, tmp_path / name)
    shutil.copy(synthetic / 'labels.csv', tmp_path / 'labels.csv')
    return tmp_path


def build(workdir, labels, fmt, *extra):
    return build_datalist.main([
        str(labels),
        str(workdir / 'out.json'), '--format', fmt, '--audio-dir',
        str(workdir / 'audio'), '--frames-dir',
        str(workdir / 'frames'), '--root',
        str(workdir), *extra
    ])


def test_simple_labels_with_known_classes(workdir):
    (workdir / 'simple.csv').write_text(
        'c0_000,/synthetic/c0\nc1_001,/synthetic/c1,/synthetic/c2\n'
        'gone_000,/synthetic/c0\n')
    assert build(workdir, workdir / 'simple.csv', 'simple', '--label-csv',
                 str(workdir / 'labels.csv')) == 0
    data = json.loads((workdir / 'out.json').read_text())['data']
    assert [d['video_id'] for d in data] == ['c0_000', 'c1_001']
    assert data[1] == dict(
        video_id='c1_001',
        wav='audio/c1_001.wav',
        video_path='frames',
        labels='/synthetic/c1,/synthetic/c2')
    ds = AudioVisualDataset(
        str(workdir / 'out.json'), 'labels.csv', data_root=str(workdir))
    assert ds.get_data_info(1)['label_indices'] == [1, 2]


def test_unknown_label_with_known_classes_is_an_error(workdir, capsys):
    (workdir / 'simple.csv').write_text('c0_000,/m/other\n')
    assert build(workdir, workdir / 'simple.csv', 'simple', '--label-csv',
                 str(workdir / 'labels.csv')) == 1
    assert '/m/other' in capsys.readouterr().err


def test_audioset_segments_format_writes_label_csv(workdir):
    (workdir / 'segments.csv').write_text(
        '# Segments csv created Sun Mar  5 10:54:31 2017\n'
        '# YTID, start_seconds, end_seconds, positive_labels\n'
        'c0_000, 30.000, 40.000, "/m/09x0r,/m/05zppz"\n'
        'c2_001, 0.000, 10.000, "/m/05zppz"\n')
    assert build(workdir, workdir / 'segments.csv', 'audioset') == 0
    data = json.loads((workdir / 'out.json').read_text())['data']
    assert data[0]['labels'] == '/m/09x0r,/m/05zppz'
    rows = (workdir / 'labels.csv').read_text().splitlines()
    assert rows == [
        'index,mid,display_name', '0,/m/05zppz,/m/05zppz',
        '1,/m/09x0r,/m/09x0r'
    ]


def test_vggsound_format_ids_and_names(workdir):
    for vid in ('abc_000030', 'xyz_000000'):
        shutil.copy(workdir / 'audio' / 'c0_000.wav',
                    workdir / 'audio' / f'{vid}.wav')
        shutil.copy(workdir / 'frames' / 'frame_0' / 'c0_000.jpg',
                    workdir / 'frames' / 'frame_0' / f'{vid}.jpg')
    (workdir / 'vgg.csv').write_text('abc,30,dog barking,train\n'
                                     'xyz,0,"playing piano",test\n')
    assert build(workdir, workdir / 'vgg.csv', 'vggsound') == 0
    data = json.loads((workdir / 'out.json').read_text())['data']
    assert [(d['video_id'], d['labels'])
            for d in data] == [('abc_000030', 'dog barking'),
                               ('xyz_000000', 'playing piano')]


def test_check_reports_every_problem_with_counts(workdir, capsys):
    (workdir / 'simple.csv').write_text(''.join(f'c{c}_00{k},/synthetic/c{c}\n'
                                                for c in range(3)
                                                for k in range(2)))
    assert build(workdir, workdir / 'simple.csv', 'simple', '--label-csv',
                 str(workdir / 'labels.csv')) == 0
    capsys.readouterr()
    assert check_datalist.main([
        str(workdir / 'out.json'),
        str(workdir / 'labels.csv'), '--data-root',
        str(workdir), '--decode'
    ]) == 0
    (workdir / 'audio' / 'c0_000.wav').unlink()
    write_tone(workdir / 'audio' / 'c0_001.wav', channels=2)
    write_tone(workdir / 'audio' / 'c1_000.wav', rate=22050)
    (workdir / 'audio' / 'c1_001.wav').write_bytes(b'junk')
    for i in range(10):
        (workdir / 'frames' / f'frame_{i}' / 'c2_000.jpg').unlink()
    (workdir / 'frames' / 'frame_3' / 'c2_001.jpg').write_bytes(b'bad')
    data = json.loads((workdir / 'out.json').read_text())
    data['data'][5]['labels'] = '/m/unknown'
    (workdir / 'out.json').write_text(json.dumps(data))
    report = workdir / 'report.tsv'
    assert check_datalist.main([
        str(workdir / 'out.json'),
        str(workdir / 'labels.csv'), '--data-root',
        str(workdir), '--decode', '--report',
        str(report)
    ]) == 1
    out = capsys.readouterr().out
    for line in ('6 datums, 7 problems', 'missing wav: 1', 'not mono: 1',
                 'wrong sample rate: 1', 'undecodable wav: 1', 'no frames: 1',
                 'corrupt frame: 1', 'unknown label: 1'):
        assert line in out
    assert len(report.read_text().splitlines()) == 7


def test_check_empty_and_malformed(tmp_path, capsys):
    (tmp_path / 'labels.csv').write_text('index,mid,display_name\n0,a,A\n')
    (tmp_path / 'empty.json').write_text('{"data": []}')
    assert check_datalist.main(
        [str(tmp_path / 'empty.json'),
         str(tmp_path / 'labels.csv')]) == 1
    (tmp_path / 'bad.json').write_text('{"data": [')
    assert check_datalist.main(
        [str(tmp_path / 'bad.json'),
         str(tmp_path / 'labels.csv')]) == 1
    assert 'cannot read' in capsys.readouterr().err


def test_norm_stats_match_a_direct_computation(synthetic, capsys):
    assert compute_norm_stats.main([
        str(synthetic / 'datalist.json'),
        str(synthetic / 'labels.csv'), '--data-root',
        str(synthetic), '--target-length', '200'
    ]) == 0
    ds = AudioVisualDataset(
        str(synthetic / 'datalist.json'),
        'labels.csv',
        data_root=str(synthetic),
        test_mode=True,
        pipeline=[
            dict(type='LoadAudio'),
            dict(type='KaldiFbank'),
            dict(type='PadCropFbank', target_length=200)
        ])
    fbanks = [ds[i]['audios'] for i in range(len(ds))]
    mean = np.mean([float(f.mean()) for f in fbanks])
    std = np.mean([float(torch.std(f)) for f in fbanks])
    assert f'mean={mean:.4f} std={std:.4f}' in capsys.readouterr().out


def test_simple_labels_header_row_is_skipped(workdir):
    (workdir / 'with_header.csv').write_text(
        'video_id,label\nc0_000,/synthetic/c0\nc2_001,/synthetic/c2\n')
    assert build(workdir, workdir / 'with_header.csv', 'simple', '--label-csv',
                 str(workdir / 'labels.csv')) == 0
    data = json.loads((workdir / 'out.json').read_text())['data']
    assert [d['video_id'] for d in data] == ['c0_000', 'c2_001']


def test_extraction_inputs(synthetic, tmp_path, capsys):
    extract_audio = load_tool('tools/data/extract_audio.py')
    one = synthetic / 'videos' / 'c1_000.mp4'
    assert extract_audio.main([str(one), str(tmp_path / 'a')]) == 0
    assert [p.name for p in (tmp_path / 'a').glob('*.wav')] == \
        ['c1_000.wav']
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert extract_audio.main([str(empty), str(tmp_path / 'b')]) == 2
    assert 'empty: no videos' in capsys.readouterr().err
    nested = tmp_path / 'nested' / 'deeper'
    nested.mkdir(parents=True)
    shutil.copy(one, nested / 'n1.mp4')
    assert extract_audio.main([str(tmp_path / 'nested'),
                               str(tmp_path / 'c')]) == 2
    assert extract_audio.main(
        [str(tmp_path / 'nested'),
         str(tmp_path / 'c'), '--recursive']) == 0
    assert (tmp_path / 'c' / 'n1.wav').is_file()


def _many_clips(workdir, per_class):
    """``per_class`` copies of the synthetic clips for each of 3 classes;
    returns the simple label file."""
    lines = []
    for c, count in enumerate(per_class):
        for i in range(count):
            vid = f'k{c}_{i:03d}'
            shutil.copy(workdir / 'audio' / 'c0_000.wav',
                        workdir / 'audio' / f'{vid}.wav')
            shutil.copy(workdir / 'frames' / 'frame_0' / 'c0_000.jpg',
                        workdir / 'frames' / 'frame_0' / f'{vid}.jpg')
            lines.append(f'{vid},/synthetic/c{c}')
    path = workdir / 'many.csv'
    path.write_text('\n'.join(lines) + '\n')
    return path


def test_stratified_split_with_a_seed(workdir):
    labels = _many_clips(workdir, [20, 10, 5])
    split = ('--test-fraction', '0.2', '--seed', '3', '--label-csv',
             str(workdir / 'labels.csv'))
    assert build(workdir, labels, 'simple', *split) == 0
    train = json.loads((workdir / 'out.json').read_text())['data']
    test = json.loads((workdir / 'out_test.json').read_text())['data']
    per_class = Counter(d['labels'] for d in test)
    # 20% of each class: 4 of 20, 2 of 10, 1 of 5
    assert per_class == {
        '/synthetic/c0': 4,
        '/synthetic/c1': 2,
        '/synthetic/c2': 1
    }
    assert len(train) == 28
    assert not {d['video_id'] for d in train} & {d['video_id'] for d in test}
    # the same seed gives the same split, another seed another one
    first = {d['video_id'] for d in test}
    assert build(workdir, labels, 'simple', *split) == 0
    again = json.loads((workdir / 'out_test.json').read_text())['data']
    assert {d['video_id'] for d in again} == first
    assert build(workdir, labels, 'simple', *split[:3], '4', *split[4:]) == 0
    other = json.loads((workdir / 'out_test.json').read_text())['data']
    assert {d['video_id'] for d in other} != first
    with pytest.raises(SystemExit):
        build(workdir, labels, 'simple', '--test-fraction', '1.5')


def test_unlabelled_clips_for_pretraining(workdir):
    out = workdir / 'unlabelled.json'
    assert build_datalist.main([
        str(out), '--unlabelled', '--audio-dir',
        str(workdir / 'audio'), '--frames-dir',
        str(workdir / 'frames'), '--root',
        str(workdir)
    ]) == 0
    data = json.loads(out.read_text())['data']
    assert len(data) == 6 and all('labels' not in d for d in data)
    ds = AudioVisualDataset(str(out), data_root=str(workdir))
    assert ds.metainfo['num_classes'] == 0
    assert ds.get_data_info(0)['label_indices'] == []
    # a labelled dataset refuses unlabelled clips, naming the datum
    with pytest.raises(ValueError, match=r'datum 0 lacks \[.labels.\]'):
        AudioVisualDataset(str(out), 'labels.csv', data_root=str(workdir))
    with pytest.raises(SystemExit):  # LABELS with --unlabelled
        build_datalist.main([
            'labels.csv',
            str(out), '--unlabelled', '--video-dir',
            str(workdir)
        ])


def test_folder_errors_name_the_folder(workdir, capsys):
    (workdir / 'simple.csv').write_text('c0_000,/synthetic/c0\n')
    code = build_datalist.main([
        str(workdir / 'simple.csv'),
        str(workdir / 'o.json'), '--audio-dir',
        str(workdir / 'nowhere'), '--frames-dir',
        str(workdir / 'frames')
    ])
    assert code == 1
    assert f'{workdir / "nowhere"}: audio folder not found' in \
        capsys.readouterr().err
    code = build_datalist.main([
        str(workdir / 'simple.csv'),
        str(workdir / 'o.json'), '--audio-dir',
        str(workdir / 'audio'), '--frames-dir',
        str(workdir / 'audio')
    ])
    assert code == 1
    assert f'{workdir / "audio"}: no frame_0 folder' in \
        capsys.readouterr().err
    (workdir / 'novideos').mkdir()
    code = build_datalist.main([
        str(workdir / 'simple.csv'),
        str(workdir / 'o.json'), '--video-dir',
        str(workdir / 'novideos')
    ])
    assert code == 1
    assert f'{workdir / "novideos"}: no videos' in capsys.readouterr().err


def test_video_files_datalist_reads_on_the_fly(synthetic, tmp_path):
    """--video-dir lists the videos themselves; the dataset reads them with
    the on-the-fly pipeline (no wav, no frames)."""
    labels = tmp_path / 'simple.csv'
    labels.write_text('video_id,label\nc0_000,/synthetic/c0\n'
                      'c2_001,/synthetic/c2\nmissing,/synthetic/c1\n')
    out = tmp_path / 'videos.json'
    assert build_datalist.main([
        str(labels),
        str(out), '--video-dir',
        str(synthetic / 'videos'), '--root',
        str(synthetic), '--label-csv',
        str(synthetic / 'labels.csv')
    ]) == 0
    data = json.loads(out.read_text())['data']
    assert data == [
        dict(
            video_id='c0_000',
            video_path='videos/c0_000.mp4',
            labels='/synthetic/c0'),
        dict(
            video_id='c2_001',
            video_path='videos/c2_001.mp4',
            labels='/synthetic/c2')
    ]
    ds = AudioVisualDataset(str(out), 'labels.csv', data_root=str(synthetic))
    info = ds.get_data_info(1)
    assert info['filename'] == str(synthetic / 'videos' / 'c2_001.mp4')
    assert 'audio_path' not in info
