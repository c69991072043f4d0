"""Installs the cavmae_mm plugin (CAV-MAE for MMAction2 / MMEngine)."""
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

# Shipped in the wheel under cavmae_mm/.mim/, the OpenMMLab (mim) layout, so
# that an installed package finds its configs and tools without the repo.
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')
MIM_IGNORE = shutil.ignore_patterns('__pycache__', '*.py[cod]')


def read_requirements(name: str) -> list:
    """Reads one requirements file, skipping comments and blank lines."""
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [
        ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')
    ]


def read_version() -> str:
    namespace: dict = {}
    exec((HERE / 'cavmae_mm' / 'version.py').read_text(), namespace)
    return namespace['__version__']


def copy_mim_files(mim_dir: Path) -> list:
    """Copies configs/, tools/ and model-index.yml of the repository into
    MIM_DIR (replacing what an earlier build left there); returns the files
    written."""
    for name in MIM_ITEMS:
        src, dst = HERE / name, mim_dir / name
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        if src.is_dir():
            shutil.copytree(src, dst, ignore=MIM_IGNORE)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return sorted(str(p) for p in mim_dir.rglob('*') if p.is_file())


class BuildPyWithMim(build_py):
    """build_py that also puts the mim files into build_lib/cavmae_mm/.mim.

    Done at build time, in the build folder only (never in the source tree),
    so it holds for any PEP 517 build (``pip wheel .``, ``pip install .``).
    Editable installs skip it: the repository itself has configs/ and tools/
    next to the package there.
    """

    def run(self):
        super().run()
        self._mim_outputs = []
        if not getattr(self, 'editable_mode', False):
            mim_dir = Path(self.build_lib) / 'cavmae_mm' / '.mim'
            self._mim_outputs = copy_mim_files(mim_dir)

    def get_outputs(self, *args, **kwargs):
        return (super().get_outputs(*args, **kwargs) +
                getattr(self, '_mim_outputs', []))


setup(
    name='cavmae_mm',
    version=read_version(),
    description='CAV-MAE (Contrastive Audio-Visual Masked Autoencoder) '
    'as an MMAction2 / MMEngine plugin',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    # Any data file under cavmae_mm/data/ (e.g. the label-map CSVs).
    package_data={'cavmae_mm': ['data/*', 'data/**/*']},
    exclude_package_data={'cavmae_mm': ['*.py[cod]', '*/__pycache__/*']},
    include_package_data=True,
    cmdclass={'build_py': BuildPyWithMim},
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'deploy':
        read_requirements('deploy.txt'),
        'webui':
        read_requirements('webui.txt'),
        'tests':
        read_requirements('tests.txt') + read_requirements('deploy.txt') +
        read_requirements('webui.txt'),
    },
    license='BSD-3-Clause',
)
