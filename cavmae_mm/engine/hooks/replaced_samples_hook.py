"""Logs, counts and limits the unreadable samples a training set replaced."""
import logging
from typing import Optional, Set

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from cavmae_mm.datasets.skip_policy import replacements_of
from cavmae_mm.registry import HOOKS


@HOOKS.register_module()
class ReplacedSamplesHook(Hook):
    """Reports the samples a dataset with ``on_error='skip'`` replaced.

    The datasets record each replacement's reason in the replacing sample
    (see :mod:`cavmae_mm.datasets.skip_policy`); the records cross the data
    loader workers with the batch. In the main process this hook

    - logs each bad datum once per run (a warning with the datalist, datum,
      file and reason), whichever worker met it and however often;
    - counts the epoch's replacements (summed over ranks at the epoch's end)
      and logs the total of an epoch that had any;
    - stops the run with an error when more than ``max_fraction`` of an
      epoch's samples were replacements (at once on one process; at the
      epoch's end, on every rank together, in a distributed run).

    Args:
        max_fraction (float): The largest tolerated fraction of an epoch's
            samples that are replacements, in [0, 1]. Defaults to 0.1.
    """

    priority = 'LOW'

    def __init__(self, max_fraction: float = 0.1) -> None:
        if not 0.0 <= max_fraction <= 1.0:
            raise ValueError(f'max_fraction must be in [0, 1], got '
                             f'{max_fraction}')
        self.max_fraction = max_fraction
        self.epoch_count = 0
        self.total_count = 0
        self._logged: Set[str] = set()

    @staticmethod
    def _samples_per_epoch(runner) -> int:
        loader = runner.train_dataloader
        batch_size = getattr(loader, 'batch_size', None) or 1
        return len(loader) * batch_size

    def _check(self, runner, count: int, samples: int) -> None:
        if samples and count > self.max_fraction * samples:
            raise RuntimeError(
                f'{count} of {samples} samples of epoch {runner.epoch + 1} '
                f'were replacements for unreadable data, more than '
                f'max_fraction={self.max_fraction} of ReplacedSamplesHook; '
                'fix the data (the warnings above name each bad datum) or '
                'raise the limit')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        for sample in (data_batch or {}).get('data_samples', []):
            records = replacements_of(dict(data_samples=sample))
            self.epoch_count += len(records)
            for record in records:
                if record['datum'] not in self._logged:
                    self._logged.add(record['datum'])
                    runner.logger.log(
                        logging.WARNING,
                        f'replaced unreadable datum: {record["reason"]}')
        if get_world_size() == 1:
            self._check(runner, self.epoch_count,
                        self._samples_per_epoch(runner))

    def after_train_epoch(self, runner) -> None:
        count = torch.tensor([float(self.epoch_count)])
        world = get_world_size()
        if world > 1:
            all_reduce(count)
        epoch_count = int(count.item())
        self.epoch_count = 0
        self.total_count += epoch_count
        runner.message_hub.update_info('replaced_samples', epoch_count)
        if epoch_count:
            runner.logger.info(
                f'Epoch {runner.epoch + 1}: {epoch_count} unreadable samples '
                f'were replaced ({self.total_count} so far)')
        self._check(runner, epoch_count,
                    self._samples_per_epoch(runner) * world)
