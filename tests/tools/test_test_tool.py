"""tools/test.py: model-zoo names, official checkpoints loaded strictly,
wrong weights stop the run, --no-checkpoint baseline."""
import pytest
import torch

from cavmae_mm.checkpoint import CheckpointMismatch, mm_to_official
from tests.helpers import tiny_pretrain_cfg
from tests.tool_loader import load_tool

test_tool = load_tool('tools/test.py')


def run(config, *args, tmp_path):
    return test_tool.main(
        [str(config), *map(str, args), '--work-dir',
         str(tmp_path / 'work')])


def test_official_checkpoint_gives_the_same_metrics(tiny_classifier, tmp_path):
    config, checkpoint = tiny_classifier
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    official = tmp_path / 'official.pth'
    torch.save(mm_to_official(state), official)
    ours = run(config, checkpoint, tmp_path=tmp_path)
    assert run(config, official, tmp_path=tmp_path) == ours
    assert set(ours) == {'acc/top1'}


def test_wrong_weights_stop_the_run(tiny_classifier, tmp_path, build):
    config, _ = tiny_classifier
    pretrained = tmp_path / 'pretrained.pth'
    torch.save({'state_dict': build(tiny_pretrain_cfg()).state_dict()},
               pretrained)
    with pytest.raises(CheckpointMismatch, match='pretraining checkpoint'):
        run(config, pretrained, tmp_path=tmp_path)


def test_untrained_baseline_is_explicit(tiny_classifier, tmp_path):
    config, _ = tiny_classifier
    metrics = run(config, '--no-checkpoint', tmp_path=tmp_path)
    assert 0.0 <= metrics['acc/top1'] <= 1.0
    with pytest.raises(SystemExit):
        test_tool.parse_args([str(config)])  # neither checkpoint nor flag


def test_label_csv_and_head_must_agree(tiny_classifier, media, tmp_path):
    config, checkpoint = tiny_classifier
    labels = tmp_path / 'four.csv'  # the set's 3 classes and one more
    labels.write_text((media / 'labels.csv').read_text().rstrip('\n') +
                      '\n3,/m/extra,extra class\n')
    with pytest.raises(
            ValueError,
            match=r'four.csv: the test data has 4 '
            r'classes, but the model classifies 3'):
        test_tool.main([
            str(config),
            str(checkpoint), '--work-dir',
            str(tmp_path / 'work'), '--cfg-options',
            f'test_dataloader.dataset.label_file={labels}'
        ])
