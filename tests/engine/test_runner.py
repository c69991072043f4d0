"""CAVMAERunner: MMEngine's runner with a start-up log that fits a screen."""
import re

from cavmae_mm.config import adapt_to_machine, build_runner, load_config
from cavmae_mm.engine import CAVMAERunner


def test_start_up_log_is_short_and_names_the_config(tiny_config, tmp_path):
    cfg = load_config(str(tiny_config))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 1
    runner = build_runner(adapt_to_machine(cfg))
    assert type(runner) is CAVMAERunner
    runner.train()
    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    # what the console shows: the log without the record of each
    # parameter's initialisation that MMEngine writes to the file only
    log = re.sub(
        r'Name of parameter - Initialization information\n.*?'
        r'(?=^\d{4}/\d\d/\d\d )',
        '',
        log,
        flags=re.S | re.M)
    lines = log.splitlines()
    first_iteration = next(i for i, line in enumerate(lines)
                           if 'Epoch(train)' in line)
    # MMEngine's runner prints ~30 lines of environment and the whole
    # config (~150 lines for this tiny one, 270 for a recipe) before it;
    # what remains is mostly MMEngine's table of the hooks
    assert first_iteration < 80, '\n'.join(lines[:first_iteration])
    text = '\n'.join(lines)
    assert 'System environment' not in text
    assert 'optim_wrapper = dict(' not in text
    env = next(line for line in lines if 'Environment: Python' in line)
    assert 'PyTorch' in env and 'Distributed training: False' in env
    assert f'Config: {tmp_path / "work" / "tiny_cavmae.py"}' in text
    assert (tmp_path / 'work' / 'tiny_cavmae.py').is_file()


def test_a_checkpoint_that_cannot_be_resumed_from_is_named_with_why(tmp_path):
    import pytest
    import torch

    from cavmae_mm.engine.runner import (CheckpointReadError,
                                         read_resume_checkpoint)
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    weights = tmp_path / 'weights.pth'
    torch.save(dict(state_dict={}), weights)
    best = tmp_path / 'best.pth'
    torch.save(
        dict(meta=dict(epoch=1, iter=3), state_dict={}, message_hub={}), best)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(best.read_bytes()[:best.stat().st_size // 2])
    cases = [(tmp_path / 'missing.pth', 'FileNotFoundError'),
             (text, 'UnpicklingError: the weights-only unpickler refused '
              'it: Unsupported operand'),
             (truncated, 'RuntimeError: PytorchStreamReader failed reading '
              'zip archive: failed finding central directory'),
             (weights, 'has no meta, message_hub')]
    for path, reason in cases:
        with pytest.raises(CheckpointReadError) as error:
            read_resume_checkpoint(str(path))
        assert str(error.value).startswith(f'{path}: cannot resume')
        assert reason in error.value.reason
    assert read_resume_checkpoint(str(best))['meta']['iter'] == 3
    with pytest.raises(CheckpointReadError, match='has no optimizer'):
        read_resume_checkpoint(str(best), training_state=True)


def test_resume_fallback_flag_resumes(tiny_config):
    from tests.tool_loader import load_tool
    train_tool = load_tool('tools/train.py')
    cfg = train_tool.build_config(
        train_tool.parse_args([str(tiny_config), '--resume-fallback']))
    assert cfg.resume and cfg.load_from is None and cfg.resume_fallback
    cfg = train_tool.build_config(
        train_tool.parse_args([str(tiny_config), '--resume', 'x.pth']))
    assert cfg.load_from == 'x.pth' and 'resume_fallback' not in cfg
