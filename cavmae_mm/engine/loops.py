"""An epoch-based training loop that resumes in the middle of an epoch.

MMEngine's ``EpochBasedTrainLoop`` restarts the interrupted epoch from its
first batch when a run is resumed from an iteration checkpoint (and, without
a fixed seed, with another shuffle): the samples seen before the checkpoint
are trained on twice and the iteration counter runs past ``max_iters``. An
AudioSet-2M epoch is thousands of iterations, so pre-empted jobs lose hours.

:class:`ResumableEpochBasedTrainLoop` records the train sampler's seed in the
message hub (saved in every checkpoint) and, on resuming mid-epoch, restores
that seed and skips the batches that were already trained on, at the index
level (no sample is loaded to be thrown away). The resumed run then sees
exactly the batches the interrupted one had left.

Save iteration checkpoints next to the epoch ones with a second hook::

    custom_hooks = [dict(type='CheckpointHook', by_epoch=False,
                         interval=2000, max_keep_ckpts=1)]
"""
import logging
from typing import Iterator, List

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, ValLoop
from torch.utils.data import DataLoader, Sampler

from cavmae_mm.registry import LOOPS

SEED_KEY = 'train_sampler_seed'


class _SkipBatches(Sampler):
    """The batches of ``batch_sampler`` after its first ``skip``."""

    def __init__(self, batch_sampler, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self) -> Iterator[List[int]]:
        for position, batch in enumerate(self.batch_sampler):
            if position >= self.skip:
                yield batch

    def __len__(self) -> int:
        return len(self.batch_sampler) - self.skip


def _sampler_of(dataloader: DataLoader):
    batch_sampler = dataloader.batch_sampler
    return batch_sampler.sampler if batch_sampler is not None else \
        dataloader.sampler


def remaining_batches(dataloader: DataLoader, skip: int) -> DataLoader:
    """A one-epoch loader over the batches of ``dataloader`` after ``skip``.

    It shares the dataset, batch sampler (whose epoch is already set),
    collate function and worker settings of ``dataloader``.
    """
    if dataloader.batch_sampler is None:
        raise ValueError('resuming mid-epoch needs a loader with a batch '
                         'sampler (batch_size set)')
    options = dict(
        num_workers=dataloader.num_workers,
        collate_fn=dataloader.collate_fn,
        pin_memory=dataloader.pin_memory,
        timeout=dataloader.timeout,
        worker_init_fn=dataloader.worker_init_fn,
        multiprocessing_context=dataloader.multiprocessing_context,
        generator=dataloader.generator)
    if dataloader.num_workers > 0:
        options['prefetch_factor'] = dataloader.prefetch_factor
    return DataLoader(
        dataloader.dataset,
        batch_sampler=_SkipBatches(dataloader.batch_sampler, skip),
        **options)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that continues an epoch where it stopped.

    Takes the same arguments as MMEngine's loop. Outside a mid-epoch resume
    it behaves exactly like it.
    """

    def run_epoch(self) -> None:
        """Train one epoch, or the rest of a resumed one."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        per_epoch = len(self.dataloader)
        done = self._iter - self._epoch * per_epoch
        sampler = _sampler_of(self.dataloader)
        hub = self.runner.message_hub
        batches = self.dataloader
        if done != 0:
            if not 0 < done <= per_epoch:
                raise RuntimeError(
                    f'cannot resume: the checkpoint is at iteration '
                    f'{self._iter} of epoch {self._epoch + 1}, but epochs '
                    f'of {per_epoch} iterations put that epoch at '
                    f'{self._epoch * per_epoch}..'
                    f'{(self._epoch + 1) * per_epoch}; was the batch size, '
                    'GPU count or dataset changed since it was saved?')
            saved_seed = hub.get_info(SEED_KEY)
            if saved_seed is not None and hasattr(sampler, 'seed'):
                sampler.seed = saved_seed
            elif hasattr(sampler, 'seed'):
                print_log(
                    'the checkpoint has no sampler seed; the rest of '
                    'the epoch may repeat or miss samples',
                    logger='current',
                    level=logging.WARNING)
            print_log(
                f'resuming epoch {self._epoch + 1} after its first '
                f'{done} of {per_epoch} iterations',
                logger='current')
            batches = remaining_batches(self.dataloader, done)
        if hasattr(sampler, 'seed'):
            hub.update_info(SEED_KEY, int(sampler.seed))
        for idx, data_batch in enumerate(batches, start=done):
            self.run_iter(idx, data_batch)

        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


@LOOPS.register_module()
class PretrainLossValLoop(ValLoop):
    """Evaluates the pretraining losses, as the official pretraining script
    does after every epoch.

    Each batch of the evaluation data goes through the pretraining model's
    ``loss`` (masking included, no gradients); the evaluator (normally
    :class:`PretrainLossMetric`) averages ``loss_mae_a``, ``loss_mae_v``,
    ``loss_c``, ``acc_c`` and their total ``loss`` over the clips, so that
    ``CheckpointHook(save_best='pretrain/loss', rule='less')`` keeps the best
    model. The masks are drawn from a generator seeded with ``seed`` in a
    forked RNG state: every epoch is evaluated on the same masks, and the
    training random stream is left as it was.

    Args:
        runner, dataloader, evaluator, fp16: As MMEngine's ``ValLoop``.
        seed (int): Seed of the evaluation masks. Defaults to 0.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 evaluator,
                 fp16: bool = False,
                 seed: int = 0) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.seed = seed

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        model = self.runner.model.module if is_model_wrapper(
            self.runner.model) else self.runner.model
        model.eval()
        devices = [torch.cuda.current_device()] if \
            torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed)
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch, model)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict, model=None) -> None:
        self.runner.call_hook(
            'before_val_iter', batch_idx=idx, data_batch=data_batch)
        data = model.data_preprocessor(data_batch, False)
        losses = model(**data, mode='loss')
        size = len(next(iter(data['inputs'].values())))
        record = {k: float(v) for k, v in losses.items()}
        self.evaluator.process(
            data_samples=[dict(batch_size=size, **record)],
            data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=[record])
