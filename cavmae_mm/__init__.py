"""cavmae_mm: CAV-MAE as an MMAction2 / MMEngine plugin.

Importing the package (directly or through a config's ``custom_imports``)
first applies the two compatibility fixes of the pinned stack, then registers
MMAction2's components (in its registries, the parents of ours) and every
component of this package in the ``cavmae_mm`` registries.
"""
from .utils.compat_mmaction import ensure_mmaction_drn_importable
from .utils.compat_torch_load import allow_mmengine_checkpoint_globals

ensure_mmaction_drn_importable()
allow_mmengine_checkpoint_globals()

# MMAction2's own components (visualizer, hooks, metrics, transforms, ...)
# register in the parent registries, so configs reach them by bare name.
from mmaction.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=False)

from . import datasets  # noqa: E402,F401  (registers datasets, transforms)
from . import engine  # noqa: E402,F401  (registers hooks)
from . import evaluation  # noqa: E402,F401  (registers metrics)
from . import models  # noqa: E402,F401  (registers the models)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
