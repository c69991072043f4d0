"""tools/visualizations/browse_dataset.py: samples after the pipeline drawn
as PNGs (fbank and frames), named by video id, titled with the labels."""
import random
import shutil

import matplotlib.image
import numpy as np
import pytest
import torch

from tests.tool_loader import load_tool

browse_dataset = load_tool('tools/visualizations/browse_dataset.py')

# The tiny pretraining config's training set behind the official mixup
# wrapper (always mixing), with smoothed labels.
MIXUP = '''_base_ = [{base!r}]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='AudioVisualMixupDataset',
    pipeline=[dict(type='AudioVisualMixup', prob=1.0),
              dict(type='EncodeLabels', label_smooth=0.1),
              dict(type='KaldiFbank', num_mel_bins=32),
              dict(type='PadCropFbank', target_length=64),
              dict(type='NormalizeFbank'),
              dict(type='PackActionInputs', collect_keys=('audios', 'imgs'),
                   meta_keys=('video_id', 'mix_lambda'))],
    dataset=dict(type='AudioVisualDataset', data_root={root!r},
                 ann_file='datalist.json', label_file='labels.csv',
                 pipeline=[dict(type='LoadAudio'),
                           dict(type='SelectFrames', mode='random'),
                           dict(type='LoadFrames'),
                           dict(type='ResizeCenterCrop', frame_size=32)])))
'''


@pytest.fixture
def drawn(monkeypatch):
    """Records what each figure is drawn from."""
    calls = []
    original = browse_dataset.draw

    def spy(sample, classes, title, path):
        calls.append(
            dict(sample=sample, classes=classes, title=title, path=path))
        return original(sample, classes, title, path)

    monkeypatch.setattr(browse_dataset, 'draw', spy)
    return calls


def run(*args):
    return browse_dataset.main([str(a) for a in args])


def test_test_set_fbank_frames_and_class(tiny_classifier, drawn, tmp_path,
                                         capsys):
    config, _ = tiny_classifier
    out = tmp_path / 'browse'
    assert run(config, out, '--phase', 'test', '--show-number', '3') == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ['0000_c0_000.png', '0001_c0_001.png', '0002_c1_000.png']
    assert '3 of 3 samples drawn (6 in the test set)' in \
        capsys.readouterr().out
    image = matplotlib.image.imread(out / files[2])
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    sample = drawn[2]['sample']
    assert sample['inputs']['audios'].shape == (64, 32)
    assert sample['inputs']['imgs'].shape == (10, 3, 32, 32)  # all frames
    assert browse_dataset.label_text(sample['data_samples'].gt_label,
                                     drawn[2]['classes']) == 'tone 660 Hz'


def test_mixed_training_samples_name_both_classes(synthetic, tiny_config,
                                                  drawn, tmp_path):
    config = tmp_path / 'mixup.py'
    config.write_text(MIXUP.format(base=str(tiny_config), root=str(synthetic)))
    random.seed(1)  # the wrapper draws partners with random, lam with numpy
    np.random.seed(1)
    assert run(config, tmp_path / 'out', '-n', '4') == 0
    pairs = 0
    for call in drawn:
        data_sample = call['sample']['data_samples']
        lam = data_sample.metainfo['mix_lambda']
        text = browse_dataset.label_text(data_sample.gt_label, call['classes'])
        weights = sorted(
            float(part.rsplit('(', 1)[1].rstrip(')'))
            for part in text.split(', '))
        # eps / C + lam (1 - eps) for one clip, (1 - lam) (1 - eps) for
        # the other (the same class twice adds up)
        expected = sorted({0.1 / 3 + lam * 0.9, 0.1 / 3 + (1 - lam) * 0.9})
        assert 'Hz (' in text
        if len(weights) == 2:
            pairs += 1
            assert weights == pytest.approx(expected, abs=0.006)
    assert pairs


def test_unlabelled_pretraining_samples_and_all_of_a_small_set(
        tiny_config, drawn, tmp_path, capsys):
    assert run(tiny_config, tmp_path / 'out', '-n', '100') == 0
    assert '6 of 6 samples drawn (6 in the train set)' in \
        capsys.readouterr().out
    assert len(list((tmp_path / 'out').glob('*.png'))) == 6
    sample = drawn[0]['sample']
    # one random frame, as [3, H, W]
    assert len(browse_dataset.frames_of(sample['inputs']['imgs'])) == 1
    assert browse_dataset.label_text(sample['data_samples'].get('gt_label'),
                                     drawn[0]['classes']) == 'no labels'


def test_label_text():
    classes = ['a', 'b', 'c']
    assert browse_dataset.label_text(torch.tensor([2]), classes) == 'c'
    assert browse_dataset.label_text(torch.tensor([0., 1., 1.]),
                                     classes) == 'b, c'
    smoothed = torch.tensor([0.05, 0.9, 0.05])
    assert browse_dataset.label_text(smoothed, classes) == 'b (0.90)'
    assert browse_dataset.label_text(torch.zeros(3), classes) == 'no labels'
    assert browse_dataset.label_text(None, classes) == 'no labels'


def test_bad_sample_is_named_and_the_rest_drawn(synthetic, tiny_config,
                                                tmp_path, capsys):
    data = tmp_path / 'data'
    shutil.copytree(synthetic, data)
    (data / 'audio' / 'c0_001.wav').unlink()
    config = tmp_path / 'broken.py'
    config.write_text(f"_base_ = [{str(tiny_config)!r}]\n"
                      f"train_dataloader = dict(dataset=dict(data_root="
                      f"{str(data)!r}))\n")
    assert run(config, tmp_path / 'out', '-n', '3') == 1
    captured = capsys.readouterr()
    assert 'sample 1' in captured.err and 'c0_001.wav' in captured.err
    assert '2 of 3 samples drawn' in captured.out
    assert len(list((tmp_path / 'out').glob('*.png'))) == 2


def test_unusable_config_exits_1(tiny_config, tmp_path, capsys):
    assert run(tiny_config, tmp_path / 'out', '--phase', 'val') == 1
    assert 'has no val_dataloader' in capsys.readouterr().err
    assert run(tiny_config, tmp_path / 'out', '--cfg-options',
               'train_dataloader.dataset.ann_file=nothere.json') == 1
    assert 'nothere.json: datalist not found' in capsys.readouterr().err


@pytest.mark.parametrize('args, message', [
    (['-n', '0'], 'must be > 0'),
    (['--phase', 'dev'], 'invalid choice'),
    (['--cfg-options', 'x'], 'KEY=VALUE'),
])
def test_wrong_arguments_exit_2(tiny_config, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_config, tmp_path / 'out', *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


SYNC_CLIPS = '''_base_ = [{base!r}]
test_dataloader = dict(dataset=dict(
    _delete_=True, type='AudioVisualDataset', data_root={root!r},
    ann_file='datalist.json', label_file='labels.csv', test_mode=True,
    pipeline=[dict(type='LoadAudio'),
              dict(type='AudioFrontEnd', clip_length=160),
              dict(type='SelectFrames', mode='all', num_frames=4),
              dict(type='AlignAudioToFrames'),
              dict(type='LoadFrames'),
              dict(type='ResizeCenterCrop'),
              dict(type='EncodeLabels'),
              dict(type='PackActionInputs', collect_keys=('audios', 'imgs'),
                   meta_keys=('video_id', ))]))
'''


def test_sync_clips_draw_every_segment(synthetic, tiny_config, drawn,
                                       tmp_path):
    """A CAV-MAE Sync clip: its 4 frames and their 4 audio segments (the
    sizes from the tiny config's input_geometry)."""
    config = tmp_path / 'sync_clips.py'
    config.write_text(
        SYNC_CLIPS.format(base=str(tiny_config), root=str(synthetic)))
    out = tmp_path / 'browse'
    assert run(config, out, '--phase', 'test', '--show-number', '1') == 0
    assert [p.name for p in out.iterdir()] == ['0000_c0_000.png']
    inputs = drawn[0]['sample']['inputs']
    assert inputs['audios'].shape == (4, 64, 32)
    assert inputs['imgs'].shape == (4, 3, 32, 32)
