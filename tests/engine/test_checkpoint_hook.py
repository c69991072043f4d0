"""cavmae_mm's CheckpointHook: a save cut off at any moment leaves the
previous checkpoint complete and named by last_checkpoint; the one that
falls out of max_keep_ckpts goes only after the new one is in place."""
import os
import uuid

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import DefaultScope

from cavmae_mm.config import load_config
from cavmae_mm.engine.hooks import AtomicCheckpointHook
from cavmae_mm.registry import HOOKS
from tests.helpers import ROOT


class Crash(Exception):
    pass


class FakeRunner:
    """What the hook uses of a runner; ``save_checkpoint`` writes the meta
    and, with ``crash`` set, stops half-way through the bytes."""

    def __init__(self, work_dir):
        self.work_dir = str(work_dir)
        self.iter, self.epoch = 0, 0
        self.message_hub = MessageHub.get_instance(f'ckpt_{uuid.uuid4()}')
        self.logger = MMLogger.get_current_instance()
        self.crash = False
        self.hooks_called = []

    def call_hook(self, name, **kwargs):
        self.hooks_called.append(name)

    def save_checkpoint(self,
                        out_dir,
                        filename,
                        file_client_args=None,
                        save_optimizer=True,
                        save_param_scheduler=True,
                        meta=None,
                        by_epoch=True,
                        backend_args=None):
        path = os.path.join(out_dir, filename)
        torch.save(dict(meta=meta), path)
        if self.crash:
            data = open(path, 'rb').read()
            open(path, 'wb').write(data[:len(data) // 2])
            raise Crash


def last_checkpoint(work):
    return os.path.basename((work / 'last_checkpoint').read_text())


def test_every_config_gets_the_atomic_hook():
    cfg = load_config(str(ROOT / 'configs' / 'cavmae_as2m.py'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        hook = HOOKS.build(cfg.default_hooks.checkpoint)
    assert type(hook) is AtomicCheckpointHook
    assert cfg.default_hooks.random_state.type == 'RandomStateHook'


def test_a_save_cut_off_leaves_the_previous_checkpoint(tmp_path):
    runner = FakeRunner(tmp_path)
    hook = AtomicCheckpointHook(by_epoch=False, interval=1, max_keep_ckpts=1)
    hook.before_train(runner)
    runner.iter = 1
    hook.after_train_iter(runner, 0)
    assert last_checkpoint(tmp_path) == 'iter_2.pth'
    assert 'collect_checkpoint_state' in runner.hooks_called

    runner.iter, runner.crash = 2, True
    with pytest.raises(Crash):
        hook.after_train_iter(runner, 1)
    # iter_2.pth is still the latest and whole; the part has a hidden name
    assert last_checkpoint(tmp_path) == 'iter_2.pth'
    assert torch.load(tmp_path / 'iter_2.pth')['meta']['iter'] == 2
    names = sorted(os.listdir(tmp_path))
    assert names[0].startswith('.iter_3.pth.') and names[0].endswith('.tmp')
    assert names[1:] == ['iter_2.pth', 'last_checkpoint']

    # resumed from iter_2.pth (its message hub) and saved again: the part
    # is removed and iter_2.pth, now out of max_keep_ckpts, after the save
    runner.crash = False
    runner.message_hub.update_info('keep_ckpt_ids', [2])
    hook = AtomicCheckpointHook(by_epoch=False, interval=1, max_keep_ckpts=1)
    hook.before_train(runner)
    runner.iter = 3
    hook.after_train_iter(runner, 2)
    assert sorted(os.listdir(tmp_path)) == ['iter_4.pth', 'last_checkpoint']
    assert last_checkpoint(tmp_path) == 'iter_4.pth'


def test_the_best_checkpoint_is_written_atomically(tmp_path):
    runner = FakeRunner(tmp_path)
    hook = AtomicCheckpointHook(interval=1, save_best='acc', rule='greater')
    hook.before_train(runner)
    runner.epoch, runner.iter = 1, 3
    hook.after_train_epoch(runner)
    runner.epoch = 2  # validation runs after the epoch count moved on
    hook.after_val_epoch(runner, dict(acc=0.5))
    assert sorted(os.listdir(tmp_path)) == [
        'best_acc_epoch_2.pth', 'epoch_2.pth', 'last_checkpoint'
    ]
    assert 'save_checkpoint' not in vars(runner)  # the method is back
