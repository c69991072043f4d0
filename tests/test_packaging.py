"""The wheel: a non-editable build ships configs/, tools/ and model-index.yml
under cavmae_mm/.mim (the OpenMMLab mim layout) next to the package modules,
and an installed copy loads its configs without the repository.

The wheel is built without build isolation (no network) from a copy of the
repository in tmp_path, so the in-tree build's build/ and *.egg-info never
land in the repository.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MIM = 'cavmae_mm/.mim/'
COPY_IGNORE = shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'build',
                                     'dist', '*.egg-info', '__pycache__',
                                     '*.py[cod]', '.pytest_cache')


def _can_build_wheel():
    """setuptools, and a bdist_wheel (setuptools >= 70.1 or wheel)."""
    if importlib.util.find_spec('setuptools') is None:
        return False
    return (importlib.util.find_spec('setuptools.command.bdist_wheel')
            is not None or importlib.util.find_spec('wheel') is not None)


pytestmark = [
    pytest.mark.slow,  # builds and unpacks the wheel
    pytest.mark.skipif(
        not _can_build_wheel(),
        reason='needs setuptools and wheel in the venv '
        '(requirements/tests.txt)')
]


def repo_files(folder, pattern='*'):
    """Paths (posix, relative to the repo) of FOLDER's files matching
    PATTERN, without caches."""
    return {
        p.relative_to(REPO).as_posix()
        for p in (REPO / folder).rglob(pattern)
        if p.is_file() and '__pycache__' not in p.parts
    }


def copy_source(dst):
    """Copies the repository's tracked and untracked-but-not-ignored files
    (git ls-files) into DST; without git, the tree less venv/caches/builds."""
    try:
        out = subprocess.run([
            'git', 'ls-files', '-z', '--cached', '--others',
            '--exclude-standard'
        ],
                             cwd=REPO,
                             capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(REPO, dst, ignore=COPY_IGNORE)
        return
    for rel in filter(None, out.decode().split('\0')):
        src = REPO / rel
        if src.is_file():  # tracked files deleted in the work tree: skip
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


@pytest.fixture(scope='module')
def wheel_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('packaging')
    src, dist = tmp / 'src', tmp / 'dist'
    copy_source(src)
    env = dict(os.environ, PIP_NO_INDEX='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
    proc = subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-w',
        str(dist),
        str(src)
    ],
                          cwd=tmp,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(dist.glob('cavmae_mm-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope='module')
def wheel_names(wheel_file):
    with zipfile.ZipFile(wheel_file) as zf:
        return set(zf.namelist())


def test_wheel_ships_mim_files(wheel_names):
    assert MIM + 'model-index.yml' in wheel_names
    assert MIM + 'configs/metafile.yml' in wheel_names
    assert MIM + 'configs/cavmae-ft_as2m.py' in wheel_names
    shipped = {n[len(MIM):] for n in wheel_names if n.startswith(MIM)}
    for pattern in ('*.py', '*.yml'):
        assert {
            n
            for n in shipped
            if n.startswith('configs/') and Path(n).match(pattern)
        } == repo_files('configs', pattern)
    for pattern in ('*.py', '*.sh'):
        assert {
            n
            for n in shipped
            if n.startswith('tools/') and Path(n).match(pattern)
        } == repo_files('tools', pattern)
    assert any(n.startswith('tools/data/') for n in shipped)


def test_wheel_ships_package_without_caches(wheel_names):
    assert repo_files('cavmae_mm', '*.py') <= wheel_names
    assert not any('__pycache__' in n or n.endswith(('.pyc', '.pyo'))
                   for n in wheel_names)
    # only the package (and its metadata) at the top level
    assert {
        n.split('/')[0]
        for n in wheel_names if not n.split('/')[0].endswith('.dist-info')
    } == {'cavmae_mm'}


def test_wheel_ships_package_data(wheel_names):
    data = REPO / 'cavmae_mm' / 'data'
    if data.is_dir():
        expected = {
            p.relative_to(REPO).as_posix()
            for p in data.rglob('*')
            if p.is_file() and '__pycache__' not in p.parts and p.suffix not in
            ('.pyc', '.pyo')
        }
        assert expected <= wheel_names


def test_build_leaves_source_tree_alone(wheel_file):
    # .mim exists in the build folder only, never next to the sources
    assert not (REPO / 'cavmae_mm' / '.mim').exists()


def test_unpacked_wheel_imports_and_loads_config(wheel_file, tmp_path):
    site, elsewhere = tmp_path / 'site', tmp_path / 'elsewhere'
    elsewhere.mkdir()
    with zipfile.ZipFile(wheel_file) as zf:
        zf.extractall(site)
    config = site / 'cavmae_mm' / '.mim' / 'configs' / 'cavmae-ft_as2m.py'
    script = ('import sys, cavmae_mm\n'
              'from mmengine.config import Config\n'
              'print(cavmae_mm.__file__)\n'
              'cfg = Config.fromfile(sys.argv[1])\n'
              'print(cfg.model.cls_head.num_classes, cfg.model.type)\n')
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, '-c', script,
                           str(config)],
                          cwd=elsewhere,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    module_file, loaded = proc.stdout.strip().splitlines()[-2:]
    assert Path(module_file).resolve().is_relative_to(site.resolve())
    # num_classes from the config itself, the model from its _base_ files
    assert loaded.split() == ['527', 'CAVMAERecognizer']
