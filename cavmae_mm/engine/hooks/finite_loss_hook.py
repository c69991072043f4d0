"""Stops training at the first non-finite loss, naming where."""
import math
from typing import Optional

from mmengine.hooks import Hook

from cavmae_mm.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raises ``FloatingPointError`` when the training loss is NaN or
    infinite, with the iteration, the epoch and the batch's video ids.

    MMEngine keeps training on a non-finite loss, and every later step then
    learns from garbage. The value checked is the one ``RuntimeInfoHook``
    has already logged (a Python float), so no extra host-device
    synchronisation is added.
    """

    priority = 'HIGH'  # after RuntimeInfoHook (VERY_HIGH) logged the loss

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        history = runner.message_hub.log_scalars.get('train/loss')
        if history is None:
            return
        value = history.current()
        if math.isfinite(value):
            return
        samples = (data_batch or {}).get('data_samples') or []
        ids = [s.metainfo.get('video_id', '?') for s in samples]
        raise FloatingPointError(
            f'non-finite training loss ({value}) at iteration '
            f'{runner.iter + 1} (epoch {runner.epoch + 1}, batch '
            f'{batch_idx}); video ids of the batch: {ids}')
