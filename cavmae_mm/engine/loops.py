"""An epoch-based training loop that resumes exactly where it stopped.

MMEngine's ``EpochBasedTrainLoop`` restarts the interrupted epoch from its
first batch when a run is resumed from an iteration checkpoint (and, without
a fixed seed, with another shuffle): the samples seen before the checkpoint
are trained on twice and the iteration counter runs past ``max_iters``. An
AudioSet-2M epoch is thousands of iterations, so pre-empted jobs lose hours.

:class:`ResumableEpochBasedTrainLoop` records the train sampler's seed in the
message hub (saved in every checkpoint) and, on resuming, restores that seed
and skips the batches that were already trained on, at the index level (no
sample is loaded to be thrown away). Every sample is fetched with a seed of
its own (:mod:`cavmae_mm.engine.seeded_loading`), so its random
augmentation does not depend on which loader worker fetched it; with
``RandomStateHook`` restoring each rank's generators, a resumed run trains
on exactly the batches, augmentations and masks the interrupted one would
have: it ends bit-identical to an uninterrupted run.

Save iteration checkpoints next to the epoch ones with a second hook::

    custom_hooks = [dict(type='CheckpointHook', by_epoch=False,
                         interval=2000, max_keep_ckpts=1)]
"""
import logging
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, ValLoop
from torch.utils.data import DataLoader

from cavmae_mm.registry import LOOPS
from .seeded_loading import seeded_loader

SEED_KEY = 'train_sampler_seed'


def _sampler_of(dataloader: DataLoader):
    batch_sampler = dataloader.batch_sampler
    return batch_sampler.sampler if batch_sampler is not None else \
        dataloader.sampler


def _has_random_state_hook(runner) -> bool:
    return any(
        type(hook).__name__ == 'RandomStateHook' for hook in runner.hooks)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that continues an epoch where it stopped and
    seeds every sample by its place in the run.

    Takes the same arguments as MMEngine's loop. ``runner.train_dataloader``
    stays the loader MMEngine built (hooks read its dataset, sampler and
    batch size); the loop iterates a loader built once from it (same
    dataset, batch sampler, collate function and worker settings, workers
    kept across epochs when ``persistent_workers``) that yields the
    batches from the resume point on and fetches each sample with its seed.
    A loader without a batch sampler is iterated as MMEngine does (and
    cannot be resumed mid-epoch).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seeded: Optional[DataLoader] = None
        self._seeded_built = False

    def run(self) -> torch.nn.Module:
        """Trains; then stops the loader's persistent workers."""
        try:
            return super().run()
        finally:
            self._stop_workers()

    def _stop_workers(self) -> None:
        """Stops the workers of the loop's loader now. Left to the garbage
        collector (``tools/train.py`` collects before it shuts a process
        group down), 2 persistent workers of a gloo run took ~11 s to go
        (each join waiting out its 5 s timeout)."""
        iterator = getattr(self._seeded, '_iterator', None)
        if iterator is not None and hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()
            self._seeded._iterator = None

    def _base_seed(self, sampler) -> int:
        """The train sampler's seed, the one of the checkpoint when it has
        one (recorded in the message hub)."""
        hub = self.runner.message_hub
        saved_seed = hub.get_info(SEED_KEY)
        if hasattr(sampler, 'seed'):
            if saved_seed is not None:
                sampler.seed = saved_seed
            hub.update_info(SEED_KEY, int(sampler.seed))
            return int(sampler.seed)
        return int(self.runner.seed or 0)

    def _loader(self, base_seed: int) -> Optional[DataLoader]:
        if not self._seeded_built:
            self._seeded_built = True
            self._seeded = seeded_loader(self.dataloader, base_seed)
            if self._seeded is None:
                print_log(
                    'the training loader has no batch sampler: its samples '
                    'are not seeded by their position and a resumed run '
                    'is not bit-identical',
                    logger='current',
                    level=logging.WARNING)
        return self._seeded

    def run_epoch(self) -> None:
        """Train one epoch, or the rest of a resumed one."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        per_epoch = len(self.dataloader)
        done = self._iter - self._epoch * per_epoch
        if not 0 <= done <= per_epoch:
            raise RuntimeError(
                f'cannot resume: the checkpoint is at iteration '
                f'{self._iter} of epoch {self._epoch + 1}, but epochs '
                f'of {per_epoch} iterations put that epoch at '
                f'{self._epoch * per_epoch}..'
                f'{(self._epoch + 1) * per_epoch}; was the batch size, '
                'GPU count or dataset changed since it was saved?')
        sampler = _sampler_of(self.dataloader)
        seed_saved = self.runner.message_hub.get_info(SEED_KEY) is not None
        base_seed = self._base_seed(sampler)
        if done and not seed_saved and hasattr(sampler, 'seed'):
            print_log(
                'the checkpoint has no sampler seed; the rest of '
                'the epoch may repeat or miss samples',
                logger='current',
                level=logging.WARNING)
        batches = self._loader(base_seed)
        if batches is None:
            if done:
                raise ValueError('resuming mid-epoch needs a loader with a '
                                 'batch sampler (batch_size set)')
            batches = self.dataloader
        else:
            batches.batch_sampler.start_epoch(self._epoch, done, base_seed)
        if done and not _has_random_state_hook(self.runner):
            print_log(
                f'resuming epoch {self._epoch + 1} after its first '
                f'{done} of {per_epoch} iterations',
                logger='current')
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
