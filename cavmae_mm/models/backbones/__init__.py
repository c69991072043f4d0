from ..modality import PATHS
from .cavmae_encoder import CAVMAEEncoder, EncoderOutput
from .cavmae_sync_encoder import CAVMAESyncEncoder

__all__ = ['CAVMAEEncoder', 'CAVMAESyncEncoder', 'EncoderOutput', 'PATHS']
