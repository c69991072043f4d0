from ..modality import MODALITY_PATHS
from .cavmae_recognizer import CAVMAERecognizer

__all__ = ['CAVMAERecognizer', 'MODALITY_PATHS']
