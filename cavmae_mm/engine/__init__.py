"""Training-loop pieces: hooks, the resumable epoch loop, CPU autocast."""
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks
from .loops import PretrainLossValLoop, ResumableEpochBasedTrainLoop
from .optim_constructor import CAVMAEOptimWrapperConstructor
from .optim_wrappers import AutocastOptimWrapper
from .runner import CAVMAERunner

__all__ = _hooks + [
    'PretrainLossValLoop', 'ResumableEpochBasedTrainLoop',
    'CAVMAEOptimWrapperConstructor', 'AutocastOptimWrapper', 'CAVMAERunner'
]
