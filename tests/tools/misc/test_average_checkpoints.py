"""tools/misc/average_checkpoints.py: the official weight averaging."""
import torch

from tests.tool_loader import load_tool

average_checkpoints = load_tool('tools/misc/average_checkpoints.py')


def save(path, **tensors):
    torch.save(dict(state_dict=tensors, meta=dict(epoch=1)), path)


def test_mean_of_an_epoch_range(tmp_path):
    for n in range(1, 4):
        save(
            tmp_path / f'epoch_{n}.pth',
            w=torch.full((2, 2), float(n)),
            b=torch.tensor([n * 2.0]),
            steps=torch.tensor([7]))
    out = tmp_path / 'wa.pth'
    assert average_checkpoints.main(
        [str(tmp_path), '--start', '1', '--end', '3', '--out',
         str(out)]) == 0
    state = torch.load(out, weights_only=True)['state_dict']
    assert torch.equal(state['w'], torch.full((2, 2), 2.0))
    assert torch.equal(state['b'], torch.tensor([4.0]))
    assert torch.equal(state['steps'], torch.tensor([7]))


def test_missing_or_mismatching_checkpoints(tmp_path, capsys):
    save(tmp_path / 'epoch_1.pth', w=torch.ones(2))
    save(tmp_path / 'epoch_2.pth', v=torch.ones(2))
    out = str(tmp_path / 'wa.pth')
    assert average_checkpoints.main(
        [str(tmp_path), '--start', '1', '--end', '3', '--out', out]) == 1
    assert 'epoch_2.pth: tensors differ' in capsys.readouterr().err
    assert average_checkpoints.main(
        [str(tmp_path), '--start', '3', '--end', '3', '--out', out]) == 1
    assert 'epoch_3.pth: checkpoint not found' in capsys.readouterr().err


def test_runner_checkpoints_load(tmp_path, tiny_config):
    """Checkpoints written by MMEngine's runner (message hub and all)."""
    train_tool = load_tool('tools/train.py')
    cfg = tiny_config
    train_tool.main([str(cfg), '--work-dir', str(tmp_path / 'w')])
    assert average_checkpoints.main([
        str(tmp_path / 'w'), '--start', '1', '--end', '2', '--out',
        str(tmp_path / 'wa.pth')
    ]) == 0
    a = torch.load(
        tmp_path / 'w' / 'epoch_1.pth', weights_only=True)['state_dict']
    b = torch.load(
        tmp_path / 'w' / 'epoch_2.pth', weights_only=True)['state_dict']
    wa = torch.load(tmp_path / 'wa.pth', weights_only=True)['state_dict']
    key = 'backbone.blocks_u.0.attn.qkv.weight'
    assert torch.allclose(wa[key], (a[key] + b[key]) / 2)
