from .features import FEATURES, extract_features
from .inference import init_model
from .inpainting import inpaint

__all__ = ['init_model', 'extract_features', 'FEATURES', 'inpaint']
