"""The configs run unchanged through MMAction2's own tools/train.py and
tools/test.py (shipped in its wheel under mmaction/.mim/tools): the config's
custom_imports brings cavmae_mm in."""
import subprocess
import sys
from pathlib import Path

import mmaction
import pytest

MMACTION_TOOLS = Path(mmaction.__file__).parent / '.mim' / 'tools'


def run(script, *args, cwd):
    return subprocess.run(
        [sys.executable, str(MMACTION_TOOLS / script), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (MMACTION_TOOLS / 'train.py').is_file(),
                    reason='this mmaction2 install has no .mim/tools')
def test_mmaction2_train_and_test_scripts(tiny_config, tmp_path):
    import torch
    # MMAction2's script has no CPU fallback for AmpOptimWrapper (ours does)
    options = [] if torch.cuda.is_available() else [
        '--cfg-options', 'optim_wrapper.type=OptimWrapper']
    work = tmp_path / 'work'
    result = run('train.py', tiny_config, '--work-dir', work, *options,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / 'epoch_2.pth').is_file()
    result = run('test.py', tiny_config, work / 'epoch_2.pth', '--work-dir',
                 tmp_path / 'test', cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'retrieval/v2a_R@1' in result.stdout + result.stderr
