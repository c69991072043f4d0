"""Compatibility fix 1: the PyPI build of mmaction2 1.2.0 lacks its DRN
package.

``mmaction/models/localizers/__init__.py`` runs ``from .drn.drn import DRN``,
but the wheel published on PyPI does not ship
``mmaction/models/localizers/drn``.
As a result ``import mmaction.models`` (and thus every registry lookup that
imports MMAction2's model locations) raises ``ModuleNotFoundError``.

:func:`ensure_mmaction_drn_importable` installs a tiny placeholder package
under that name *only when the real one is absent*. The placeholder's ``DRN``
is registered in MMAction2's model registry and raises a clear error when a
config tries to build it, so nothing silently stands in for the real model.
It must run before anything imports ``mmaction.models``; ``cavmae_mm``'s
``__init__`` calls it first thing, so a config's
``custom_imports = dict(imports=['cavmae_mm'])`` applies it (with the
torch.load allow-list of :mod:`.compat_torch_load`) whenever MMEngine loads
the config: MMAction2's own ``train.py``, ``test.py`` and
``analysis_tools/print_config.py`` work on these configs.

A script that imports ``mmaction.models`` *before* it loads the config
cannot be reached that way: MMAction2's ``analysis_tools/confusion_matrix.py``
calls ``register_all_modules()`` first and fails on the missing module
before the config's ``custom_imports`` run. Use this package's
``tools/analysis_tools/confusion_matrix.py`` (same name and flags), or run
such a script in an interpreter that has imported ``cavmae_mm`` first.

The same import makes mmcv-lite warn that its compiled
``MultiScaleDeformableAttention`` is absent. mmcv-lite is chosen on purpose
(no CAV-MAE component needs mmcv's compiled ops), so that one warning is
silenced here; every other warning is left as it is.
"""
import importlib.util
import sys
import types
import warnings
from pathlib import Path

DRN_MODULE = 'mmaction.models.localizers.drn'


class MissingDRN:
    """Stands for MMAction2's DRN localizer, which this mmaction2 build
    lacks."""

    def __init__(self, *args, **kwargs) -> None:
        raise ModuleNotFoundError(
            f'{DRN_MODULE} is not part of the installed mmaction2 build '
            '(the PyPI wheel of mmaction2 1.2.0 omits it); install mmaction2 '
            'from source to use the DRN localizer.')


def drn_is_missing() -> bool:
    """Tells whether the installed mmaction2 lacks the DRN package.

    Returns:
        bool: True when mmaction2 is installed but has no
        ``models/localizers/drn`` package on disk.
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or spec.origin is None:
        return False
    package_dir = Path(spec.origin).parent
    return not (package_dir / 'models' / 'localizers' / 'drn' /
                '__init__.py').is_file()


def ensure_mmaction_drn_importable() -> bool:
    """Makes ``import mmaction.models`` work on the PyPI mmaction2 build.

    Returns:
        bool: True if the placeholder was installed, False if nothing was
        needed (the real package exists or was already patched).
    """
    warnings.filterwarnings(
        'ignore',
        message='Fail to import ``MultiScaleDeformableAttention``',
        category=UserWarning)
    if DRN_MODULE in sys.modules or not drn_is_missing():
        return False
    package = types.ModuleType(DRN_MODULE)
    package.__path__ = []  # a package, so that ``.drn.drn`` resolves
    package.__doc__ = ('Placeholder installed by cavmae_mm: see '
                       'compat_mmaction.')
    submodule = types.ModuleType(f'{DRN_MODULE}.drn')
    submodule.DRN = MissingDRN
    package.drn = submodule
    package.DRN = MissingDRN
    sys.modules[DRN_MODULE] = package
    sys.modules[f'{DRN_MODULE}.drn'] = submodule

    from mmaction.registry import MODELS
    if 'DRN' not in MODELS.module_dict:  # no lookup: it would import all
        MODELS.register_module(name='DRN', module=MissingDRN)
    return True
