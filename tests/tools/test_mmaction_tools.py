"""The configs run unchanged through MMAction2's own tools/train.py,
tools/test.py and analysis_tools/print_config.py (shipped in its wheel under
mmaction/.mim/tools): the config's custom_imports brings cavmae_mm in, and
with it both compatibility fixes. Its confusion_matrix.py imports its models
before it reads the config (this package has its own)."""
import subprocess
import sys
from pathlib import Path

import mmaction
import pytest

MMACTION_TOOLS = Path(mmaction.__file__).parent / '.mim' / 'tools'

# MMAction2's own scripts in subprocesses
pytestmark = pytest.mark.slow


def run(script, *args, cwd):
    return subprocess.run(
        [sys.executable,
         str(MMACTION_TOOLS / script), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600)


@pytest.mark.skipif(
    not (MMACTION_TOOLS / 'train.py').is_file(),
    reason='this mmaction2 install has no .mim/tools')
def test_mmaction2_train_and_test_scripts(tiny_config, tmp_path):
    import torch

    # MMAction2's script has no CPU fallback for AmpOptimWrapper (ours does)
    options = [] if torch.cuda.is_available() else [
        '--cfg-options', 'optim_wrapper.type=OptimWrapper'
    ]
    work = tmp_path / 'work'
    result = run(
        'train.py', tiny_config, '--work-dir', work, *options, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / 'epoch_2.pth').is_file()
    result = run(
        'test.py',
        tiny_config,
        work / 'epoch_2.pth',
        '--work-dir',
        tmp_path / 'test',
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'retrieval/v2a_R@1' in result.stdout + result.stderr


def run_python(code, cwd):
    return subprocess.run([sys.executable, '-c', code],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.mark.skipif(
    not (MMACTION_TOOLS / 'analysis_tools' / 'print_config.py').is_file(),
    reason='this mmaction2 install has no .mim/tools')
def test_mmaction2_print_config_gets_both_fixes_from_the_config(
        tiny_config, tmp_path):
    """A fresh interpreter that only runs MMAction2's print_config.py on a
    config: its custom_imports apply the drn fix and the torch.load
    allow-list (a runner checkpoint's message hub then loads)."""
    import torch
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('mmaction_tools_test')
    hub.update_scalar('train/loss', 1.0)
    checkpoint = tmp_path / 'runner.pth'
    torch.save({'message_hub': hub.state_dict()}, checkpoint)
    script = MMACTION_TOOLS / 'analysis_tools' / 'print_config.py'
    result = run_python(
        'import runpy, sys\n'
        f'sys.argv = [{str(script)!r}, {str(tiny_config)!r}]\n'
        f'runpy.run_path({str(script)!r}, run_name="__main__")\n'
        'assert "cavmae_mm" in sys.modules\n'
        'import mmaction.models, torch\n'
        'from mmaction.registry import MODELS\n'
        'assert MODELS.get("TSNHead") is not None\n'
        f'torch.load({str(checkpoint)!r}, weights_only=True)\n'
        'print("BOTH FIXES APPLIED")\n',
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "custom_imports = dict(" in result.stdout
    assert result.stdout.rstrip().endswith('BOTH FIXES APPLIED')


@pytest.mark.skipif(
    not (MMACTION_TOOLS / 'analysis_tools' / 'confusion_matrix.py').is_file(),
    reason='this mmaction2 install has no .mim/tools')
def test_mmaction2_confusion_matrix_imports_its_models_too_early(
        tiny_classifier, tmp_path):
    """Why tools/analysis_tools/confusion_matrix.py exists: MMAction2's
    imports mmaction.models before it reads the config, so the config's
    custom_imports come too late for the drn fix; with cavmae_mm imported
    first it runs (the fix itself is complete)."""
    import pickle

    import torch

    from cavmae_mm.utils.compat_mmaction import drn_is_missing
    config, _ = tiny_classifier
    dump = tmp_path / 'result.pkl'
    with open(dump, 'wb') as handle:
        pickle.dump([
            dict(
                pred_score=torch.tensor([0.2, 0.7, 0.1]),
                gt_label=torch.tensor([k])) for k in range(3)
        ], handle)
    script = MMACTION_TOOLS / 'analysis_tools' / 'confusion_matrix.py'
    figure = tmp_path / 'cm.png'
    if drn_is_missing():
        alone = run(
            Path('analysis_tools') / 'confusion_matrix.py',
            config,
            dump,
            '--show-path',
            figure,
            cwd=tmp_path)
        assert alone.returncode != 0
        assert "No module named 'mmaction.models.localizers.drn'" in \
            alone.stderr
    first = run_python(
        'import runpy, sys\n'
        'import cavmae_mm\n'
        f'sys.argv = [{str(script)!r}, {str(config)!r}, {str(dump)!r}, '
        f'"--show-path", {str(figure)!r}]\n'
        f'runpy.run_path({str(script)!r}, run_name="__main__")\n',
        cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert figure.is_file()
