"""CAVMAERunner: MMEngine's runner with a start-up log that fits a screen."""
import re

from mmengine.config import Config

from cavmae_mm.engine import CAVMAERunner
from cavmae_mm.utils.runtime import adapt_to_machine, build_runner


def test_start_up_log_is_short_and_names_the_config(tiny_config, tmp_path):
    cfg = Config.fromfile(str(tiny_config))
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
