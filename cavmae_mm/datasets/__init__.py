"""Audio-visual data: transforms (datasets and samplers follow)."""
# MMAction2's datasets and transforms (e.g. PackActionInputs) register in the
# parent registries on import, so configs reach them without a prefix.
import mmaction.datasets  # noqa: F401

from .transforms import *  # noqa: F401,F403
