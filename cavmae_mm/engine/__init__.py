"""Training-loop pieces: hooks and the resumable epoch loop."""
from .hooks import *  # noqa: F401,F403
from .loops import ResumableEpochBasedTrainLoop  # noqa: F401
