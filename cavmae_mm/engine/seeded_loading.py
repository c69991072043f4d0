"""Training data whose randomness does not depend on the loader's workers.

A data pipeline draws from the global random generators of the process
that runs it: frame choice and the mixup partner from Python's ``random``,
noise levels, mixup weights and skip-policy replacements from numpy's,
noise from torch's. With ``num_workers > 0`` that process is whichever
worker fetched the sample, and its generators are in a state set by
MMEngine's ``worker_init_fn`` plus everything the worker drew before: a
resumed run (new workers, the first batches skipped) draws other numbers
than the interrupted one would have.

Here every fetch is seeded by where the sample is in the run: the batch
sampler yields ``(index, seed)`` pairs, the seed a 64-bit hash of the base
seed (the train sampler's, saved in every checkpoint), the epoch, the rank
and the sample's position in the rank's epoch; the dataset proxy seeds
Python's ``random``, numpy's global generator and torch's CPU generator
from it before calling ``dataset[index]``. The same sample of the same
epoch gets the same draws in every run, in any worker, resumed or not. In
the main process (``num_workers=0``) the proxy restores the generators
afterwards, so the main process's own stream (the model's masking noise) is
not touched; a worker does not need that (~10 us per sample instead of
~150 us: numpy's state is slow to copy).

Transforms that keep a generator of their own are not covered.
"""
import random
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import get_rank
from torch.utils.data import DataLoader, Sampler, get_worker_info

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _splitmix64(value: int) -> int:
    """The splitmix64 finaliser: a well-mixed 64-bit hash of ``value``."""
    value = (value + _GOLDEN) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def sample_seed(base_seed: int, epoch: int, rank: int, position: int) -> int:
    """The 64-bit seed of the sample at ``position`` of ``rank``'s part of
    ``epoch`` in a run whose sampler seed is ``base_seed``."""
    value = 0
    for part in (base_seed, epoch, rank, position):
        value = _splitmix64(value ^ (int(part) & _MASK64))
    return value


def seed_globals(seed: int) -> None:
    """Seeds Python's ``random``, numpy's global generator and torch's CPU
    generator with three values derived from ``seed``."""
    random.seed(_splitmix64(seed ^ 1))
    numpy_seed = _splitmix64(seed ^ 2)
    np.random.seed([numpy_seed & 0xFFFFFFFF, numpy_seed >> 32])
    torch.default_generator.manual_seed(_splitmix64(seed ^ 3))


class SeededDataset:
    """The training dataset, fetched as ``proxy[(index, seed)]``.

    ``proxy[(index, seed)]`` seeds the global generators (see
    :func:`seed_globals`), returns ``dataset[index]`` and, in the main
    process, restores the generators' states. A plain index is fetched
    unseeded. ``len``, ``metainfo`` and every other attribute are the
    dataset's.

    Args:
        dataset: A map-style dataset.
    """

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __getattr__(self, name: str) -> Any:
        if name == 'dataset':  # while unpickling, before __init__ ran
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            return self.dataset[key]
        index, seed = key
        if get_worker_info() is not None:
            seed_globals(seed)
            return self.dataset[index]
        states = (random.getstate(), np.random.get_state(),
                  torch.default_generator.get_state())
        try:
            seed_globals(seed)
            return self.dataset[index]
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.default_generator.set_state(states[2])

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.dataset!r})'


class SeededBatchSampler(Sampler):
    """The batches of ``batch_sampler`` as ``(index, seed)`` pairs, from a
    given batch of a given epoch on.

    The train loop calls :meth:`start_epoch` before iterating; the batches
    before ``skip`` are drawn (the positions count them) but not yielded,
    so no sample is loaded to be thrown away.

    Args:
        batch_sampler: Yields lists of indices (its sampler's epoch is set
            by ``DistSamplerSeedHook`` as usual).
    """

    def __init__(self, batch_sampler) -> None:
        self.batch_sampler = batch_sampler
        self.sampler = getattr(batch_sampler, 'sampler', None)
        self.base_seed = 0
        self.epoch = 0
        self.skip = 0
        self.rank = get_rank()

    def start_epoch(self, epoch: int, skip: int, base_seed: int) -> None:
        """Sets what the next iteration yields."""
        self.epoch, self.skip, self.base_seed = epoch, skip, base_seed

    def __iter__(self) -> Iterator[List[Tuple[int, int]]]:
        position = 0
        for number, batch in enumerate(self.batch_sampler):
            if number < self.skip:
                position += len(batch)
                continue
            pairs = []
            for index in batch:
                pairs.append((index,
                              sample_seed(self.base_seed, self.epoch,
                                          self.rank, position)))
                position += 1
            yield pairs

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)


def seeded_loader(dataloader: DataLoader,
                  generator_seed: int) -> Optional[DataLoader]:
    """A loader over the samples of ``dataloader`` with per-sample seeds.

    It shares ``dataloader``'s dataset (behind :class:`SeededDataset`),
    batch sampler (behind :class:`SeededBatchSampler`), collate function
    and worker settings (``num_workers``, ``persistent_workers``,
    ``worker_init_fn``, ``pin_memory``, ``prefetch_factor``, ...), and has
    a ``torch.Generator`` of its own, seeded with ``generator_seed``, so
    that starting an epoch draws nothing from the global generator.

    Returns:
        DataLoader | None: None when ``dataloader`` cannot be seeded this
        way (no batch sampler, or an iterable dataset).
    """
    if dataloader.batch_sampler is None or isinstance(
            dataloader.dataset, torch.utils.data.IterableDataset):
        return None
    options = dict(
        num_workers=dataloader.num_workers,
        collate_fn=dataloader.collate_fn,
        pin_memory=dataloader.pin_memory,
        timeout=dataloader.timeout,
        worker_init_fn=dataloader.worker_init_fn,
        multiprocessing_context=dataloader.multiprocessing_context,
        generator=torch.Generator().manual_seed(generator_seed),
        pin_memory_device=getattr(dataloader, 'pin_memory_device', ''))
    if dataloader.num_workers > 0:
        options.update(
            prefetch_factor=dataloader.prefetch_factor,
            persistent_workers=dataloader.persistent_workers)
    if hasattr(dataloader, 'in_order'):
        options['in_order'] = dataloader.in_order
    return DataLoader(
        SeededDataset(dataloader.dataset),
        batch_sampler=SeededBatchSampler(dataloader.batch_sampler),
        **options)
