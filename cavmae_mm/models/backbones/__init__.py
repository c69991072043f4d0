from ..modality import PATHS
from .cavmae_encoder import CAVMAEEncoder, EncoderOutput

__all__ = ['CAVMAEEncoder', 'EncoderOutput', 'PATHS']
