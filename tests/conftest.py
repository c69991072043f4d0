"""Shared fixtures: the model builder, the synthetic set made by the tools
and a tiny runner config on it (helpers are in tests/helpers.py)."""
import pytest

import cavmae_mm  # noqa: F401  (applies the compat fixes, registers)
from tests.helpers import ROOT, TINY_CONFIG
from tests.tool_loader import load_tool

# Raw media files and tiny models for inference, search and their tools.
pytest_plugins = ['tests.media_fixtures']


@pytest.fixture
def build():
    from cavmae_mm.registry import MODELS
    return MODELS.build


@pytest.fixture(scope='session')
def synthetic(tmp_path_factory):
    """The synthetic set made by the tools: 3 classes x 2 clips of 1.5 s,
    with audio and frames (40 px) extracted."""
    extract_audio = load_tool('tools/data/extract_audio.py')
    extract_frames = load_tool('tools/data/extract_frames.py')
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('synthetic')
    assert make_synthetic.main([
        str(out), '--num-classes', '3', '--per-class', '2', '--seconds', '1.5',
        '--size', '48'
    ]) == 0
    assert extract_audio.main([str(out / 'videos'), str(out / 'audio')]) == 0
    assert extract_frames.main(
        [str(out / 'videos'),
         str(out / 'frames'), '--size', '40']) == 0
    return out


@pytest.fixture(scope='session')
def tiny_config(synthetic, tmp_path_factory):
    """A tiny pretraining config file on the synthetic set (6 clips)."""
    path = tmp_path_factory.mktemp('cfg') / 'tiny_cavmae.py'
    path.write_text(
        TINY_CONFIG.format(
            base=str(ROOT / 'configs/_base_/default_runtime.py'),
            schedule=str(ROOT / 'configs/_base_/schedules/adam_multistep.py'),
            root=str(synthetic)))
    return path
