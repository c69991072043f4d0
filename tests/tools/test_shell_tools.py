"""The shell tools print their usage on --help and on missing arguments
(not bash's 'unbound variable')."""
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / 'tools'
SCRIPTS = ('dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'torchrun.sh')


@pytest.mark.parametrize('script', SCRIPTS)
def test_usage(script):
    shown = subprocess.run(['bash', str(TOOLS / script), '--help'],
                           capture_output=True,
                           text=True)
    assert shown.returncode == 0
    assert shown.stdout.startswith('usage: ') and script in shown.stdout
    missing = subprocess.run(['bash', str(TOOLS / script), 'only_one'],
                             capture_output=True,
                             text=True)
    assert missing.returncode == 2
    assert missing.stderr.startswith('usage: ')
    assert 'unbound variable' not in missing.stderr
