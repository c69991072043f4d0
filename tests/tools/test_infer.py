"""tools/infer.py, tools/misc/av_search.py and extract_features.py --inputs on
raw files: tables, JSON, exit codes."""
import json

import torch

from tests.tool_loader import load_tool

search_tool = load_tool('tools/misc/av_search.py')
features_tool = load_tool('tools/misc/extract_features.py')
infer_tool = load_tool('tools/infer.py')


def test_infer_table_json_and_exit_code(tiny_classifier, media, tmp_path,
                                        capsys):
    config, checkpoint = tiny_classifier
    out = tmp_path / 'results.json'
    code = infer_tool.main([
        str(media / 'videos'),
        str(media / 'odd' / 'truncated.mp4'),
        str(media / 'odd' / 'tone.flac'), '--config',
        str(config), '--checkpoint',
        str(checkpoint), '--topk', '2', '--out',
        str(out), '--batch-size', '2', '--no-progress'
    ])
    assert code == 1  # the truncated file failed, the others went on
    printed = capsys.readouterr().out
    assert '[audio_visual]\ttone ' in printed
    assert '[audio_without_visual]' in printed and 'truncated.mp4\t[error]' \
        in printed
    result = json.loads(out.read_text())
    assert set(result) == {'results', 'errors'}
    assert len(result['results']) == 7 and len(result['errors']) == 1
    first = result['results'][0]
    # every result has its segments (one for a file no longer than the
    # model's clip) and says how the file-level answer was aggregated
    assert set(first) == {
        'input', 'modality', 'predictions', 'duration', 'window', 'stride',
        'aggregation', 'segments'
    }
    assert first['aggregation'] in ('max', 'mean')
    assert first['segments'][0]['start'] == 0.0
    assert set(first['predictions'][0]) == {'label', 'index', 'score'}
    assert len(first['predictions']) == 2


def test_infer_all_good_is_exit_0(tiny_classifier, media):
    config, checkpoint = tiny_classifier
    assert infer_tool.main([
        str(media / 'videos' / 'c0_000.mp4'), '--config',
        str(config), '--checkpoint',
        str(checkpoint), '--no-progress'
    ]) == 0


def test_infer_start_errors(tiny_classifier, media, tmp_path, capsys):
    config, checkpoint = tiny_classifier
    assert infer_tool.main([
        'x.mp4', '--config', 'cavmae-ft_as2m_as-ful', '--checkpoint', 'x.pth'
    ]) == 2
    assert 'close names: cavmae-ft_as2m_as-full-51.2' in \
        capsys.readouterr().err
    assert infer_tool.main([
        str(media / 'no_media'), '--config',
        str(config), '--checkpoint',
        str(checkpoint)
    ]) == 2
    assert 'no_media: the folder holds no media files' in \
        capsys.readouterr().err
    labels = tmp_path / 'four.csv'
    labels.write_text('index,mid,display_name\n' + ''.join(f'{i},/m/{i},c{i}\n'
                                                           for i in range(4)))
    assert infer_tool.main([
        str(media / 'videos'), '--config',
        str(config), '--checkpoint',
        str(checkpoint), '--label-file',
        str(labels)
    ]) == 2
    assert '4 classes, but the model classifies 3' in \
        capsys.readouterr().err


def test_extract_features_from_raw_files(tiny_pretrained, media, tmp_path):
    config, checkpoint = tiny_pretrained
    out = tmp_path / 'feats.pt'
    code = features_tool.main([
        str(config),
        str(checkpoint), '--out',
        str(out), '--inputs',
        str(media / 'videos'),
        str(media / 'odd' / 'tone.flac'), '--window', '10'
    ])
    assert code == 1  # tone.flac has no frames for the visual features
    saved = torch.load(out, weights_only=True)
    assert len(saved['video_id']) == 6
    assert saved['joint'].shape == (6, 32)


def test_av_search_tool(tiny_pretrained, media, tmp_path, capsys):
    config, checkpoint = tiny_pretrained
    out = tmp_path / 'matches.json'
    code = search_tool.main([
        str(media / 'videos'), '--query',
        str(media / 'audio' / 'c0_000.wav'), '--config',
        str(config), '--checkpoint',
        str(checkpoint), '--topk', '3', '--out',
        str(out)
    ])
    assert code == 0
    found = json.loads(out.read_text())
    assert [m['rank'] for m in found['matches']] == [1, 2, 3]
    assert 'query ' in capsys.readouterr().out
