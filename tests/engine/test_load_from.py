"""``load_from`` starts a training run from the named file, MMEngine's and
MMAction2's usual way to finetune from weights: the config's own
pretrained checkpoint is skipped (it need not exist), and the file goes
through the strict loader (an official file loads as released)."""
import torch

from cavmae_mm.checkpoint import CheckpointMismatch, mm_to_official
from tests.helpers import TINY_ENCODER, randomize_, tiny_pretrain_cfg
from tests.tool_loader import load_tool

train_tool = load_tool('tools/train.py')


def write_config(tiny_config, path, missing_default):
    # the recipe's pretrained start does not exist; the lr is 0 so that
    # the trained weights are the loaded ones
    path.write_text(f"""_base_ = [{str(tiny_config)!r}]
model = dict(init_cfg=dict(type='Pretrained',
                           checkpoint={str(missing_default)!r}))
train_cfg = dict(max_epochs=1)
optim_wrapper = dict(optimizer=dict(lr=0.0))
""")
    return str(path)


def test_load_from_replaces_the_configs_pretrained_start(
        build, tiny_config, tmp_path, capsys):
    source = randomize_(build(tiny_pretrain_cfg()), seed=21)
    official = tmp_path / 'elsewhere' / 'audio_model.pth'
    official.parent.mkdir()
    torch.save(mm_to_official(source.state_dict()), official)
    config = write_config(tiny_config, tmp_path / 'cfg.py',
                          tmp_path / 'checkpoints' / 'missing.pth')
    work = tmp_path / 'work'
    train_tool.main([
        config, '--work-dir',
        str(work), '--cfg-options', f'load_from={official}'
    ])
    log = next(work.glob('*/*.log')).read_text()
    assert f'load_from={official}: training starts from it; the model\'s ' \
        'pretrained initialisation' in log
    trained = torch.load(
        work / 'epoch_1.pth', map_location='cpu',
        weights_only=True)['state_dict']
    for key, value in source.state_dict().items():
        assert torch.equal(trained[key], value), key


def test_load_from_that_does_not_fit_is_an_error(build, tiny_config, tmp_path):
    other = build(tiny_pretrain_cfg(backbone=dict(TINY_ENCODER, embed_dim=48)))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict()}, path)
    config = write_config(tiny_config, tmp_path / 'cfg.py',
                          tmp_path / 'missing.pth')
    try:
        train_tool.main([
            config, '--work-dir',
            str(tmp_path / 'work'), '--cfg-options', f'load_from={path}'
        ])
    except CheckpointMismatch as err:
        assert str(path) in str(err)
    else:
        raise AssertionError('a checkpoint of other sizes was accepted')
