from ..modality import MODALITY_PATHS
from .cavmae_recognizer import CAVMAERecognizer
from .cavmae_sync_recognizer import CAVMAESyncRecognizer

__all__ = ['CAVMAERecognizer', 'CAVMAESyncRecognizer', 'MODALITY_PATHS']
