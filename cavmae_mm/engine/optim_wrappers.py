"""Mixed precision on the CPU: MMEngine's AmpOptimWrapper needs a GPU."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from cavmae_mm.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward passes run under ``torch.autocast``.

    ``tools/train.py`` uses it on a CPU with native bf16 (AVX512-BF16 or AMX)
    where a recipe asks for ``AmpOptimWrapper``: bf16 needs no loss scaling,
    so this is the plain wrapper plus the autocast context, which MMEngine
    enters around ``model.train_step``'s forward.

    Args:
        dtype (str): Autocast dtype. Defaults to 'bfloat16'.
        device_type (str): Autocast device type. Defaults to 'cpu'.
        **kwargs: ``OptimWrapper`` arguments.
    """

    def __init__(self,
                 dtype: str = 'bfloat16',
                 device_type: str = 'cpu',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f'dtype must be bfloat16 or float16, got '
                             f'{dtype!r}')
        self.dtype = getattr(torch, dtype)
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self.dtype):
            yield
