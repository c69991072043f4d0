from .cavmae_decoder import CAVMAEDecoder

__all__ = ['CAVMAEDecoder']
