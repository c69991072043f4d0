"""Reports, each epoch, how many unreadable samples were replaced."""
from typing import Optional

from mmengine.hooks import Hook

from cavmae_mm.registry import HOOKS


@HOOKS.register_module()
class ReplacedSamplesHook(Hook):
    """Counts the samples a dataset with ``on_error='skip'`` replaced.

    The dataset records each replacement in the replacing sample's metainfo
    (``replaced``), which crosses the data loader workers; this hook sums
    them in the main process and logs the epoch's total (rank 0's share).
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self.epoch_count = 0
        self.total_count = 0

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        for sample in (data_batch or {}).get('data_samples', []):
            self.epoch_count += len(sample.metainfo.get('replaced', ()))

    def after_train_epoch(self, runner) -> None:
        self.total_count += self.epoch_count
        runner.logger.info(
            f'Epoch {runner.epoch + 1}: {self.epoch_count} unreadable samples '
            f'were replaced ({self.total_count} so far)')
        runner.message_hub.update_info('replaced_samples', self.epoch_count)
        self.epoch_count = 0
