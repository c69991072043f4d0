"""FiniteLossHook stops training at a non-finite loss; every config runs
the checks (the class-count check is tested in
tests/tools/test_test_tool.py)."""
from types import SimpleNamespace

import pytest
from mmaction.structures import ActionDataSample
from mmengine.logging import MessageHub

from cavmae_mm.config import load_config
from cavmae_mm.engine.hooks import FiniteLossHook
from tests.helpers import ROOT


def test_every_config_runs_the_checks():
    cfg = load_config(str(ROOT / 'configs' / 'cavmae-ft_as2m.py'))
    assert cfg.default_hooks.class_count.type == 'ClassCountCheckHook'
    assert cfg.default_hooks.finite_loss.type == 'FiniteLossHook'


def fake_runner(loss):
    hub = MessageHub.get_instance('test_finite_loss')
    hub.update_scalar('train/loss', loss)
    return SimpleNamespace(message_hub=hub, iter=41, epoch=2)


def test_non_finite_loss_stops_training_and_names_the_batch():
    hook = FiniteLossHook()
    samples = [
        ActionDataSample(metainfo=dict(video_id=v))
        for v in ('clip_a', 'clip_b')
    ]
    batch = dict(inputs={}, data_samples=samples)
    hook.after_train_iter(fake_runner(0.5), 3, batch)  # finite: no error
    for bad in (float('nan'), float('inf')):
        with pytest.raises(
                FloatingPointError,
                match=r"iteration 42 \(epoch 3, batch 3\).*"
                r"\['clip_a', 'clip_b'\]"):
            hook.after_train_iter(fake_runner(bad), 3, batch)


def test_replaced_samples_counts_survive_a_resume():
    from cavmae_mm.engine.hooks import ReplacedSamplesHook
    runner = SimpleNamespace(iter=4, epoch=1)
    hook = ReplacedSamplesHook()
    hook.epoch_count, hook.total_count = 3, 5
    checkpoint = dict(meta=dict(iter=4, epoch=1))
    hook.before_save_checkpoint(runner, checkpoint)
    resumed = ReplacedSamplesHook()
    resumed.after_load_checkpoint(runner, checkpoint)
    resumed.before_train(runner)
    assert (resumed.epoch_count, resumed.total_count) == (3, 5)
    # weights loaded to start another run (load_from) leave them at 0
    fresh = ReplacedSamplesHook()
    fresh.after_load_checkpoint(runner, checkpoint)
    fresh.before_train(SimpleNamespace(iter=0, epoch=0))
    assert (fresh.epoch_count, fresh.total_count) == (0, 0)
