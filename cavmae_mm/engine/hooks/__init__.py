from .class_count_check_hook import ClassCountCheckHook
from .finite_loss_hook import FiniteLossHook
from .replaced_samples_hook import ReplacedSamplesHook

__all__ = ['ClassCountCheckHook', 'FiniteLossHook', 'ReplacedSamplesHook']
