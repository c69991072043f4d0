"""Compatibility fix 1: mmaction2 1.2.0 from PyPI lacks localizers/drn."""
import subprocess
import sys

import pytest

from cavmae_mm.utils.compat_mmaction import MissingDRN, drn_is_missing


def run_python(code):
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_pinned_mmaction_has_the_defect():
    """Without the fix, importing MMAction2's models fails (why the fix
    exists; if a later build ships DRN this test says the fix can go)."""
    assert drn_is_missing()
    result = run_python('import mmaction.models')
    assert result.returncode != 0
    assert "No module named 'mmaction.models.localizers.drn'" in \
        result.stderr


def test_importing_cavmae_mm_makes_mmaction_models_importable():
    result = run_python('import cavmae_mm\n'
                        'import mmaction.models\n'
                        'from mmaction.registry import MODELS\n'
                        'assert MODELS.get("TSNHead") is not None\n'
                        'assert MODELS.get("DRN") is not None\n'
                        'print("ok")')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


def test_placeholder_drn_refuses_to_build_with_a_reason():
    with pytest.raises(ModuleNotFoundError, match='omits it'):
        MissingDRN()
