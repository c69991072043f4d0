"""RandomStateHook: every rank's generators go into the checkpoint as plain
values and come back in before_train of a resumed run, with one log
line; validation leaves the training stream where it was."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.logging import MessageHub

from cavmae_mm.engine.hooks import RandomStateHook
from cavmae_mm.engine.hooks.random_state_hook import (capture_random_state,
                                                      restore_random_state)


def next_draws():
    return (random.random(), random.gauss(0, 1), float(np.random.rand()),
            float(np.random.standard_normal()), float(torch.rand(1)))


def test_state_round_trips_through_a_weights_only_checkpoint(tmp_path):
    random.gauss(0, 1)  # leaves a cached second normal value
    np.random.standard_normal()  # and numpy's legacy one
    state = capture_random_state()
    expected = next_draws()
    torch.save(dict(random_state=state), tmp_path / 'state.pth')
    loaded = torch.load(tmp_path / 'state.pth', weights_only=True)
    next_draws()
    assert restore_random_state(
        loaded['random_state']) == ['python', 'numpy', 'torch CPU']
    assert next_draws() == expected


class Logger:

    def __init__(self):
        self.lines = []

    def info(self, message):
        self.lines.append(('INFO', message))

    def warning(self, message):
        self.lines.append(('WARNING', message))


def fake_runner(iteration=4):
    loader = SimpleNamespace(dataloader=list(range(3)))
    return SimpleNamespace(
        iter=iteration,
        epoch=1,
        logger=Logger(),
        train_loop=loader,
        message_hub=MessageHub.get_instance('test_random_state_hook'))


def saved_checkpoint(runner, hook):
    checkpoint = dict(meta=dict(iter=runner.iter, epoch=runner.epoch))
    hook.before_save_checkpoint(runner, checkpoint)
    return checkpoint


def test_resumed_run_continues_the_stream_and_says_so_in_one_line():
    hook, runner = RandomStateHook(), fake_runner()
    checkpoint = saved_checkpoint(runner, hook)
    assert checkpoint['random_state']['world_size'] == 1
    expected = next_draws()

    resumed = RandomStateHook()
    resumed.after_load_checkpoint(runner, checkpoint)
    torch.manual_seed(0)  # what MMEngine's resume does
    random.seed(0)
    resumed.before_train(runner)
    assert next_draws() == expected
    (line, ) = runner.logger.lines
    assert line[0] == 'INFO'
    assert line[1].startswith('restored the random state of 1 rank (python,'
                              ' numpy, torch CPU) and epoch 2')


def test_nothing_restored_on_load_from_other_world_size_or_no_state():
    hook, runner = RandomStateHook(), fake_runner()
    checkpoint = saved_checkpoint(runner, hook)
    # load_from (fine-tuning): the run starts at iteration 0
    start = fake_runner(iteration=0)
    hook.after_load_checkpoint(start, checkpoint)
    hook.before_train(start)
    assert start.logger.lines == []
    # a checkpoint of two ranks in a one-process run
    two = dict(checkpoint)
    two['random_state'] = dict(
        world_size=2, ranks=checkpoint['random_state']['ranks'] * 2)
    hook.after_load_checkpoint(runner, two)
    state = torch.get_rng_state()
    hook.before_train(runner)
    assert torch.equal(torch.get_rng_state(), state)
    assert runner.logger.lines[-1][0] == 'WARNING'
    assert 'holds the random state of 2 ranks, this run has 1: ' \
        'nothing restored' in runner.logger.lines[-1][1]
    # a checkpoint saved without the hook
    del checkpoint['random_state']
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    assert 'has no random state' in runner.logger.lines[-1][1]


def test_validation_does_not_move_the_training_stream():
    hook, runner = RandomStateHook(), fake_runner()
    state = capture_random_state()
    expected = next_draws()
    restore_random_state(state)
    hook.before_val(runner)
    next_draws()  # validation draws
    # a checkpoint saved during validation holds the state of before it
    during = saved_checkpoint(runner, hook)['random_state']['ranks'][0]
    assert torch.equal(during['torch'], state['torch'])
    hook.after_val(runner)
    assert next_draws() == expected
