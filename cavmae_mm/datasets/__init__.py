"""Audio-visual data: the datalist dataset and its transforms."""
# MMAction2's datasets and transforms (e.g. PackActionInputs) register in the
# parent registries on import, so configs reach them without a prefix.
import mmaction.datasets  # noqa: F401

from .transforms import *  # noqa: F401,F403
from .audio_visual_dataset import AudioVisualDataset, DatumError  # noqa: E402,F401
