"""Logs, counts and limits the unreadable samples a training set replaced."""
import logging
from typing import Optional, Set

import torch
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmengine.hooks import Hook

from cavmae_mm.datasets.skip_policy import replacements_of
from cavmae_mm.registry import HOOKS

#: Where the counts are in a checkpoint.
CHECKPOINT_KEY = 'replaced_samples'


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
      epoch's end, on every rank together, in a distributed run);
    - keeps its counts in the checkpoints (``'replaced_samples'``: the
      current epoch's count summed over ranks, gathered on every rank by
      ``collect_checkpoint_state``, which this package's ``CheckpointHook``
      calls, and the run's total), so that a run resumed mid-epoch checks
      the whole epoch. Which data were already logged is not kept: a
      resumed run logs a bad datum again once.

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
        self._gathered: Optional[tuple] = None
        self._loaded: Optional[dict] = None

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
        world = get_world_size()
        epoch_count = self._epoch_count_of_all_ranks()
        self.epoch_count = 0
        self.total_count += epoch_count
        runner.message_hub.update_info('replaced_samples', epoch_count)
        if epoch_count:
            runner.logger.info(
                f'Epoch {runner.epoch + 1}: {epoch_count} unreadable samples '
                f'were replaced ({self.total_count} so far)')
        self._check(runner, epoch_count,
                    self._samples_per_epoch(runner) * world)

    def _epoch_count_of_all_ranks(self) -> int:
        count = torch.tensor([float(self.epoch_count)])
        if get_world_size() > 1:
            all_reduce(count)
        return int(count.item())

    def collect_checkpoint_state(self, runner) -> None:
        """Sums the epoch's count over the ranks for the checkpoint about
        to be saved (a collective: call it on every rank)."""
        self._gathered = (runner.iter, self._epoch_count_of_all_ranks())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._gathered is not None and self._gathered[0] == runner.iter:
            epoch_count = self._gathered[1]
        elif get_world_size() == 1:
            epoch_count = self.epoch_count
        else:
            return
        checkpoint[CHECKPOINT_KEY] = dict(
            epoch_count=epoch_count, total_count=self.total_count)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        self._loaded = dict(
            iter=meta.get('iter'), counts=checkpoint.get(CHECKPOINT_KEY))

    def before_train(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is None or loaded['counts'] is None or \
                loaded['iter'] != runner.iter or runner.iter == 0:
            return  # not a resumed run, or a checkpoint without counts
        counts = loaded['counts']
        self.total_count = int(counts['total_count'])
        # the sum of the ranks' counts goes to rank 0: the epoch's check
        # sums them again
        self.epoch_count = int(counts['epoch_count']) if get_rank() == 0 \
            else 0
