from .features import FEATURES, extract_features
from .inference import init_model

__all__ = ['init_model', 'extract_features', 'FEATURES']
