from .cavmae_recognizer import MODALITY_PATHS, CAVMAERecognizer

__all__ = ['CAVMAERecognizer', 'MODALITY_PATHS']
