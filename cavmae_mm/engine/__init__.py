"""Training-loop pieces: hooks, the resumable epoch loop, CPU autocast."""
from .hooks import *  # noqa: F401,F403
from .loops import (PretrainLossValLoop,  # noqa: F401
                    ResumableEpochBasedTrainLoop)
from .optim_constructor import CAVMAEOptimWrapperConstructor  # noqa: F401
from .optim_wrappers import AutocastOptimWrapper  # noqa: F401
from .runner import CAVMAERunner  # noqa: F401
