"""tools/analysis_tools/confusion_matrix.py: the confusion matrix of
single-label predictions, per-class AP of multi-label ones, on hand-made
dumps and on what tools/test.py --dump writes."""
import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.media_fixtures import write_config
from tests.tool_loader import load_tool

confusion_matrix = load_tool('tools/analysis_tools/confusion_matrix.py')

ROOT = Path(__file__).resolve().parents[3]
CLASSES = ['cat', 'dog', 'bird']
CONFIG = '''_base_ = [{runtime!r}]
test_dataloader = dict(dataset=dict(
    type='AudioVisualDataset', data_root={root!r}, ann_file='datalist.json',
    label_file='labels.csv', multi_label={multi!r}, test_mode=True))
'''
# single-label: true 0 0 1 1 2 2, predicted 0 2 1 1 2 1
TRUE = [0, 0, 1, 1, 2, 2]
PREDICTED = [0, 2, 1, 1, 2, 1]
MATRIX = [[1, 0, 1], [0, 2, 0], [0, 1, 1]]
# multi-label: class 0 has AP (1/1 + 2/5) / 2 = 0.7 by hand
MULTI_SCORES = [[0.9, 0.2, 0.6], [0.8, 0.7, 0.1], [0.1, 0.6, 0.5],
                [0.3, 0.1, 0.9], [0.2, 0.4, 0.3]]
MULTI_TARGETS = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]]


def write_dump(path, scores, labels):
    """As DumpResults writes it: one dict per clip, tensors on the CPU."""
    records = []
    for index, (score, label) in enumerate(zip(scores, labels, strict=True)):
        score = torch.tensor(score, dtype=torch.float32)
        records.append(
            dict(
                video_id=f'clip{index}',
                num_classes=len(score),
                pred_score=score,
                pred_label=score.argmax().reshape(1),
                gt_label=torch.tensor([label]) if isinstance(label, int) else
                torch.tensor(label, dtype=torch.float32)))
    with open(path, 'wb') as handle:
        pickle.dump(records, handle)
    return path


@pytest.fixture
def labelled(tmp_path):
    """A config per label kind whose test data names CLASSES."""
    (tmp_path /
     'labels.csv').write_text('index,mid,display_name\n' +
                              ''.join(f'{i},/m/{name},{name}\n'
                                      for i, name in enumerate(CLASSES)))
    runtime = str(ROOT / 'configs' / '_base_' / 'default_runtime.py')
    configs = {}
    for multi in (False, True):
        path = tmp_path / f'multi_{multi}.py'
        path.write_text(
            CONFIG.format(runtime=runtime, root=str(tmp_path), multi=multi))
        configs[multi] = path
    return configs


@pytest.fixture
def single_dump(tmp_path):
    scores = np.full((6, 3), 0.1)
    scores[np.arange(6), PREDICTED] = 0.8
    return write_dump(tmp_path / 'single.pkl', scores.tolist(), TRUE)


def read_csv(path):
    with open(path, newline='') as handle:
        return list(csv.reader(handle))


def run(*args):
    return confusion_matrix.main([str(a) for a in args])


def test_single_label_matrix_table_and_files(labelled, single_dump, tmp_path,
                                             capsys):
    out, figure = tmp_path / 'cm.csv', tmp_path / 'cm.png'
    assert run(labelled[False], single_dump, '--out', out, '--show-path',
               figure, '--include-values') == 0
    text = capsys.readouterr().out
    assert '6 clips, 3 classes, single-label: top-1 accuracy 0.6667' in text
    rows = {
        line.split('|')[2].strip(): line
        for line in text.splitlines()
        if line.startswith('| ') and line.split('|')[2].strip() in CLASSES
    }
    assert '| 2     | 1       | 0.5000   | bird (1)' in rows['cat']
    assert '| 1.0000   | -' in rows['dog']
    assert read_csv(out) == [['true \\ predicted', *CLASSES]] + [[
        name, *map(str, row)
    ] for name, row in zip(CLASSES, MATRIX, strict=True)]
    assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    assert run(labelled[False], single_dump, '--out', tmp_path / 'cm.npy',
               '--target-classes', '2', '0') == 0
    assert np.load(tmp_path / 'cm.npy').tolist() == [[1, 0], [1, 1]]
    assert run(labelled[False], single_dump, '--out', tmp_path / 'cm.pkl') == 0
    with open(tmp_path / 'cm.pkl', 'rb') as handle:
        assert pickle.load(handle).tolist() == MATRIX


def test_one_hot_targets_of_single_label_data(labelled, tmp_path, capsys):
    """A single-label test dumped with one-hot targets is still a
    confusion matrix (the config says single-label)."""
    one_hot = np.eye(3)[TRUE].tolist()
    scores = np.eye(3)[PREDICTED].tolist()
    dump = write_dump(tmp_path / 'onehot.pkl', scores, one_hot)
    assert run(labelled[False], dump, '--out', tmp_path / 'cm.csv') == 0
    assert 'top-1 accuracy 0.6667' in capsys.readouterr().out
    assert [row[1:] for row in read_csv(tmp_path / 'cm.csv')[1:]
            ] == [list(map(str, row)) for row in MATRIX]


def test_multi_label_gives_per_class_ap(labelled, tmp_path, capsys):
    from cavmae_mm.evaluation import AudioSetMetric
    dump = write_dump(tmp_path / 'multi.pkl', MULTI_SCORES, MULTI_TARGETS)
    out, figure = tmp_path / 'ap.csv', tmp_path / 'ap.png'
    assert run(labelled[True], dump, '--out', out, '--show-path', figure) == 0
    text = capsys.readouterr().out
    assert 'multi-label: a confusion matrix is undefined' in text
    table = read_csv(out)
    assert table[0] == ['index', 'class', 'positives', 'ap', 'auc']
    assert table[1][:3] == ['0', 'cat', '2']
    assert float(table[1][3]) == pytest.approx(0.7)
    expected = AudioSetMetric().compute_metrics([
        dict(score=np.array(s), target=np.array(t, dtype=float))
        for s, t in zip(MULTI_SCORES, MULTI_TARGETS, strict=True)
    ])
    assert np.mean([float(row[3]) for row in table[1:]]) == \
        pytest.approx(expected['mAP'])
    assert f"mAP {expected['mAP']:.4f}, mAUC {expected['mAUC']:.4f} over 3 "\
        'of 3 classes' in text
    assert figure.read_bytes()[:4] == b'\x89PNG'

    with pytest.raises(SystemExit) as exit_info:  # no matrix to save
        run(labelled[True], dump, '--out', tmp_path / 'cm.npy')
    assert exit_info.value.code == 2


def test_class_names_fall_back_to_indices(labelled, single_dump, tmp_path,
                                          capsys):
    (tmp_path / 'labels.csv').unlink()
    assert run(labelled[False], single_dump) == 0
    captured = capsys.readouterr()
    assert 'classes are shown by index' in captured.err
    assert '| 0     | 0     | 2     | 1       | 0.5000   | 2 (1)' in \
        captured.out
    names = tmp_path / 'names.txt'
    names.write_text('one\ntwo\nthree\n')
    assert run(labelled[False], single_dump, '--label-file', names) == 0
    assert '| one ' in capsys.readouterr().out


@pytest.mark.parametrize('dump_of, message', [
    (lambda d: d / 'missing.pkl', 'missing.pkl: no such file'),
    (lambda d: d / 'labels.csv', 'labels.csv: not a pickle of predictions'),
    (lambda d: write_dump(d / 'short.pkl', [[0.5, 0.5]], [0]),
     'labels.csv: 3 classes, but the predictions of'),
])
def test_unreadable_or_unfitting_files_exit_1(labelled, tmp_path, capsys,
                                              dump_of, message):
    assert run(labelled[False], dump_of(tmp_path)) == 1
    assert message in capsys.readouterr().err


def test_other_pickles_are_refused_with_the_reason(labelled, tmp_path, capsys):
    odd = tmp_path / 'odd.pkl'
    with open(odd, 'wb') as handle:
        pickle.dump([dict(pred_label=torch.tensor([1]))], handle)
    assert run(labelled[False], odd) == 1
    assert 'odd.pkl: prediction 0 lacks pred_score or gt_label' in \
        capsys.readouterr().err


@pytest.mark.parametrize('args, message', [
    (['ckpt.pth'], 'is a checkpoint: test it first (python tools/test.py'),
    (['x.pkl', '--target-classes', '1'], 'at least 2 distinct classes'),
    (['x.pkl', '--out', 'cm.txt'], '--out must end with one of'),
    (['x.pkl', '--cfg-options', 'a'], 'KEY=VALUE'),
])
def test_wrong_arguments_exit_2(labelled, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        run(labelled[False], *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_dump_of_tools_test_single_label(tiny_classifier, tmp_path, capsys):
    """What tools/test.py --dump writes, read back: the same accuracy."""
    test_tool = load_tool('tools/test.py')
    config, checkpoint = tiny_classifier
    dump = tmp_path / 'result.pkl'
    metrics = test_tool.main([
        str(config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--dump',
        str(dump)
    ])
    capsys.readouterr()
    assert run(config, dump, '--out', tmp_path / 'cm.csv') == 0
    assert f"top-1 accuracy {metrics['acc/top1']:.4f}" in \
        capsys.readouterr().out
    matrix = np.array([row[1:] for row in read_csv(tmp_path / 'cm.csv')[1:]],
                      dtype=int)
    assert matrix.sum() == 6 and matrix.sum(axis=1).tolist() == [2, 2, 2]
    assert np.trace(matrix) / 6 == pytest.approx(metrics['acc/top1'])


def test_dump_of_tools_test_multi_label(tiny_classifier, media, tmp_path,
                                        capsys):
    """An AudioSet-style test (multi-hot targets, AudioSetMetric) dumped by
    tools/test.py: the per-class APs average to its mAP."""
    test_tool = load_tool('tools/test.py')
    _, checkpoint = tiny_classifier
    config = write_config(tmp_path, media, multi_label=True)
    text = config.read_text().replace(
        "dict(type='EncodeLabels', as_index=True)",
        "dict(type='EncodeLabels')")
    config.write_text(
        text.split('test_evaluator')[0] +
        "test_evaluator = dict(type='AudioSetMetric')\n"
        "test_cfg = dict(type='TestLoop')\n")
    dump = tmp_path / 'result.pkl'
    metrics = test_tool.main([
        str(config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--dump',
        str(dump)
    ])
    capsys.readouterr()
    assert run(config, dump, '--out', tmp_path / 'ap.csv') == 0
    assert 'a confusion matrix is undefined' in capsys.readouterr().out
    aps = [float(row[3]) for row in read_csv(tmp_path / 'ap.csv')[1:]]
    assert len(aps) == 3
    assert np.mean(aps) == pytest.approx(metrics['audioset/mAP'])
