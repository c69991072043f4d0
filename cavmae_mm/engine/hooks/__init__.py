from .checkpoint_hook import AtomicCheckpointHook
from .class_count_check_hook import ClassCountCheckHook
from .finite_loss_hook import FiniteLossHook
from .random_state_hook import RandomStateHook
from .replaced_samples_hook import ReplacedSamplesHook

__all__ = [
    'AtomicCheckpointHook', 'ClassCountCheckHook', 'FiniteLossHook',
    'RandomStateHook', 'ReplacedSamplesHook'
]
