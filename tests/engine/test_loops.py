"""ResumableEpochBasedTrainLoop: interrupt a run in the middle of an epoch,
resume it, and it trains exactly the batches that were left."""

import pytest
import torch
from mmengine.hooks import Hook

from cavmae_mm.config import load_config
from cavmae_mm.registry import HOOKS
from tests.tool_loader import load_tool

train_tool = load_tool('tools/train.py')

SEEN = []  # (epoch, batch index, video ids) of every trained batch


class Interrupted(Exception):
    pass


@HOOKS.register_module(force=True)
class RecordBatchesHook(Hook):

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        ids = tuple(s.video_id for s in data_batch['data_samples'])
        SEEN.append((runner.epoch, batch_idx, ids))


@HOOKS.register_module(force=True)
class InterruptHook(Hook):
    """Raises before training iteration ``at`` (0-based), like a Ctrl-C."""

    def __init__(self, at):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise Interrupted


def run_config(tiny_config, path, hooks):
    # no fixed seed: each run draws another sampler seed, so an order that
    # survives the resume must come from the checkpoint
    path.write_text(f"""_base_ = [{str(tiny_config)!r}]
randomness = dict(seed=None)
train_cfg = dict(max_epochs=2)
custom_hooks = {hooks!r}
""")
    return str(path)


def test_interrupted_mid_epoch_resume_continues_the_epoch(
        tiny_config, tmp_path):
    work = str(tmp_path / 'work')
    iteration_ckpt = dict(type='CheckpointHook', by_epoch=False, interval=2)
    record = dict(type='RecordBatchesHook')
    SEEN.clear()
    # 6 clips, batch 2: 3 iterations per epoch; iteration checkpoints after
    # iterations 2 and 4; stopped before the 6th (index 5)
    first = run_config(
        tiny_config, tmp_path / 'first.py',
        [iteration_ckpt, record,
         dict(type='InterruptHook', at=5)])
    with pytest.raises(Interrupted):
        train_tool.main([first, '--work-dir', work])
    first_run = list(SEEN)
    assert (tmp_path / 'work' / 'iter_4.pth').is_file()
    assert (tmp_path / 'work' / 'last_checkpoint').read_text().strip() \
        .endswith('iter_4.pth')

    SEEN.clear()
    second = run_config(tiny_config, tmp_path / 'second.py', [record])
    train_tool.main([second, '--work-dir', work, '--resume'])
    resumed = list(SEEN)

    # the resumed run starts at the second batch of the second epoch ...
    assert [(epoch, idx) for epoch, idx, _ in resumed] == [(1, 1), (1, 2)]
    # ... which is the batch the interrupted run trained after iter_4.pth
    assert resumed[0] == first_run[4]
    # and epoch 2 = its first batch (before the checkpoint) + the rest
    epoch2 = [first_run[3][2], *(ids for _, _, ids in resumed)]
    assert sorted(i for ids in epoch2 for i in ids) == sorted(
        i for ids in (b[2] for b in first_run[:3]) for i in ids)

    final = torch.load(tmp_path / 'work' / 'epoch_2.pth', weights_only=True)
    assert final['meta']['epoch'] == 2 and final['meta']['iter'] == 6
    final = torch.load(tmp_path / 'work' / 'epoch_2.pth', weights_only=True)
    assert final['meta']['epoch'] == 2 and final['meta']['iter'] == 6


def test_inconsistent_checkpoint_is_refused(tiny_config, tmp_path):
    """A checkpoint whose iteration does not fit the current epoch length
    (e.g. the batch size changed) is an error, not a silent replay."""
    from mmengine.runner import Runner
    cfg = load_config(run_config(tiny_config, tmp_path / 'c.py', []))
    cfg.work_dir = str(tmp_path / 'w')
    runner = Runner.from_cfg(cfg)
    loop = runner.build_train_loop(cfg.train_cfg)
    runner._train_loop = loop
    loop._epoch, loop._iter = 0, 7  # 3 iterations per epoch
    with pytest.raises(RuntimeError, match='batch size'):
        loop.run_epoch()
