"""CAV-MAE models: encoder, decoder, heads, pretraining model, recognizer."""
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .pretrainers import *  # noqa: F401,F403
from .recognizers import *  # noqa: F401,F403
