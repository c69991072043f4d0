from .cavmae_encoder import PATHS, CAVMAEEncoder, EncoderOutput

__all__ = ['CAVMAEEncoder', 'EncoderOutput', 'PATHS']
