"""Installs the cavmae_mm plugin (CAV-MAE for MMAction2 / MMEngine)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list:
    """Reads one requirements file, skipping comments and blank lines."""
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')]


def read_version() -> str:
    namespace: dict = {}
    exec((HERE / 'cavmae_mm' / 'version.py').read_text(), namespace)
    return namespace['__version__']


setup(
    name='cavmae_mm',
    version=read_version(),
    description='CAV-MAE (Contrastive Audio-Visual Masked Autoencoder) '
    'as an MMAction2 / MMEngine plugin',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    license='BSD-3-Clause',
)
