"""Test-only crashes for the exact-resume tests, imported by a run's config
(``custom_imports``): ``CrashHook`` kills its own process with SIGKILL,
like a pre-empted job, in the middle of a training iteration or in the
middle of writing a checkpoint."""
import os
import signal
from typing import Optional

from mmengine.dist import get_rank
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from cavmae_mm.registry import HOOKS


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module(force=True)
class CrashHook(Hook):
    """Kills rank ``rank``: after the model's forward of iteration
    ``at_iter`` (0-based; its masks drawn, no step taken), or after writing
    half of the ``at_save``-th checkpoint file this process writes."""

    priority = 'VERY_HIGH'

    def __init__(self,
                 rank: int = 0,
                 at_iter: Optional[int] = None,
                 at_save: Optional[int] = None) -> None:
        self.rank, self.at_iter, self.at_save = rank, at_iter, at_save
        self.saves = 0

    def before_train(self, runner) -> None:
        if self.at_save is None or get_rank() != self.rank:
            return
        put = LocalBackend.put

        def half_put(backend, obj: bytes, filepath) -> None:
            if '.pth' in str(filepath):
                self.saves += 1
                if self.saves == self.at_save:
                    with open(filepath, 'wb') as file:
                        file.write(obj[:len(obj) // 2])
                        file.flush()
                        os.fsync(file.fileno())
                    _die()
            put(backend, obj, filepath)

        LocalBackend.put = half_put

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter != self.at_iter or get_rank() != self.rank:
            return
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        model.register_forward_hook(lambda *args: _die())
