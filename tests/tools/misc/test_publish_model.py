"""tools/misc/publish_model.py: a runner checkpoint (message hub and all,
which torch >= 2.6 refuses without cavmae_mm's allow-list) published with
state_dict and meta only, the hash in its name, readable by plain torch."""
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from tests.tool_loader import load_tool

publish_model = load_tool('tools/misc/publish_model.py')


def runner_checkpoint(path: Path) -> dict:
    """What MMEngine's CheckpointHook saves: meta, state_dict, the message
    hub (HistoryBuffers) and the optimizer."""
    hub = MessageHub.get_instance('publish_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', 0.5)
    linear = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(linear.parameters())
    linear(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    checkpoint = dict(
        meta=dict(
            epoch=2,
            iter=10,
            cfg='model = dict()',
            seed=0,
            dataset_meta=dict(classes=('a', 'b'))),
        state_dict={
            f'cls_head.fc.{k}': v
            for k, v in linear.state_dict().items()
        },
        message_hub=hub.state_dict(),
        optimizer=optimizer.state_dict(),
        param_schedulers=[dict(last_epoch=2)])
    torch.save(checkpoint, path)
    return checkpoint


def plain_load(path: Path):
    """torch.load(weights_only=True) in an interpreter without cavmae_mm."""
    return subprocess.run([
        sys.executable, '-c', 'import sys, torch; c = torch.load('
        f'{str(path)!r}, weights_only=True); '
        "assert 'cavmae_mm' not in sys.modules; print(sorted(c))"
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)


def run(*args):
    return publish_model.main([str(a) for a in args])


def test_runner_checkpoint_published(tmp_path, capsys):
    source = tmp_path / 'epoch_2.pth'
    original = runner_checkpoint(source)
    assert 'HistoryBuffer' in plain_load(source).stderr  # why theirs fails
    out = tmp_path / 'pub' / 'cavmae-ft.pth'
    assert run(source, out) == 0
    text = capsys.readouterr().out
    assert 'kept meta, state_dict; dropped message_hub, optimizer, ' \
        'param_schedulers' in text
    [published] = (tmp_path / 'pub').iterdir()
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    assert published.name == f'cavmae-ft-{digest[:8]}.pth'
    assert f'published {published} (sha256 {digest})' in text
    assert not out.exists()
    loaded = plain_load(published)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "['meta', 'state_dict']"
    saved = torch.load(published, weights_only=True)
    assert saved['meta'] == original['meta']
    for key, value in original['state_dict'].items():
        assert torch.equal(saved['state_dict'][key], value)
    # the same input publishes to the same bytes (and name)
    assert run(source, out) == 0
    assert [p.name for p in (tmp_path / 'pub').iterdir()] == [published.name]


def test_bare_state_dict_and_save_keys(tmp_path, capsys):
    bare = tmp_path / 'bare.pth'
    torch.save({'backbone.w': torch.ones(2)}, bare)
    assert run(bare, tmp_path / 'bare_pub') == 0
    [published] = tmp_path.glob('bare_pub-*.pth')
    assert re.fullmatch(r'bare_pub-[0-9a-f]{8}\.pth', published.name)
    assert list(torch.load(published, weights_only=True)) == ['state_dict']

    source = tmp_path / 'epoch_1.pth'
    runner_checkpoint(source)
    assert run(source, tmp_path / 'weights.pth', '--save-keys',
               'state_dict') == 0
    [published] = tmp_path.glob('weights-*.pth')
    assert list(torch.load(published, weights_only=True)) == ['state_dict']
    assert 'dropped meta, message_hub' in capsys.readouterr().out


def test_unpublishable_files_exit_1(tmp_path, capsys):
    assert run(tmp_path / 'none.pth', tmp_path / 'x.pth') == 1
    assert 'none.pth: no such file' in capsys.readouterr().err
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    assert run(text, tmp_path / 'x.pth') == 1
    assert 'notes.pth: not a readable PyTorch checkpoint' in \
        capsys.readouterr().err
    no_weights = tmp_path / 'meta_only.pth'
    torch.save({'meta': {'epoch': 1}}, no_weights)
    assert run(no_weights, tmp_path / 'x.pth') == 1
    assert 'meta_only.pth: no state_dict (entries: meta)' in \
        capsys.readouterr().err
    numpy_meta = tmp_path / 'numpy_meta.pth'
    torch.save(
        {
            'state_dict': {
                'w': torch.ones(1)
            },
            'meta': {
                'best': np.float64(0.5)
            }
        }, numpy_meta)
    assert run(numpy_meta, tmp_path / 'x.pth') == 1
    assert 'refuses without cavmae_mm (Unsupported global: GLOBAL numpy' in \
        capsys.readouterr().err
    assert not list(tmp_path.glob('x*'))  # nothing half-written left


@pytest.mark.parametrize('args, message', [
    (['a.pth', 'b.pth', '--save-keys', 'meta'], 'must keep state_dict'),
    (['a.pth'], 'the following arguments are required: out_file'),
])
def test_wrong_arguments_exit_2(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        run(*args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_same_name_in_and_out(tmp_path):
    """As MMAction2's: the published file carries the hash, so OUT_FILE may
    be IN_FILE's name; the input stays as it was."""
    source = tmp_path / 'model.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'optimizer': {}}, source)
    before = source.read_bytes()
    assert run(source, source) == 0
    assert source.read_bytes() == before
    assert len(list(tmp_path.glob('model-*.pth'))) == 1
