from .replaced_samples_hook import ReplacedSamplesHook

__all__ = ['ReplacedSamplesHook']
