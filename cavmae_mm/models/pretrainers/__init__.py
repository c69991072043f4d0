from .cavmae import CAVMAE

__all__ = ['CAVMAE']
