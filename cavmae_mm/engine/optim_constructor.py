"""Builds the optimiser wrapper with one log line for frozen parameters."""
import logging
from collections import Counter

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from cavmae_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS

_SKIPPED = ' is skipped since its requires_grad=False'


class _CountFrozen(logging.Filter):
    """Swallows MMEngine's line per frozen parameter, keeping the names."""

    def __init__(self) -> None:
        super().__init__()
        self.names = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.endswith(_SKIPPED):
            self.names.append(message[:-len(_SKIPPED)])
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CAVMAEOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor, with the parameters it leaves out
    because they are frozen (``requires_grad=False``: the norm sets and
    branches a modality does not use, a frozen encoder) summarised in one
    line by module, instead of one warning per parameter."""

    def __call__(self, model):
        logger = MMLogger.get_current_instance()
        counter = _CountFrozen()
        logger.addFilter(counter)
        try:
            wrapper = super().__call__(model)
        finally:
            logger.removeFilter(counter)
        if counter.names:
            groups = Counter('.'.join(n.lstrip('.').split('.')[:2])
                             for n in counter.names)
            shown = ', '.join(f'{k} ({v})' for k, v in groups.most_common(6))
            more = f' and {len(groups) - 6} more modules' \
                if len(groups) > 6 else ''
            print_log(
                f'{len(counter.names)} frozen parameters are not '
                f'optimised: {shown}{more}',
                logger='current')
        return wrapper
