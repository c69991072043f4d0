"""Sampling that reads shards window by window.

A uniformly shuffled epoch over sharded data touches a random shard at
every sample. :func:`locality_order` keeps an epoch's samples (a
permutation, or the weighted draws of balanced sampling) but orders them so
that they come from ``window`` shards at a time: the shards are put in a
random order, cut into windows of ``window`` shards, and the samples of
each window are shuffled together. A window is only a list of indices: no
sample is held in memory (unlike a streaming shuffle buffer), and each
worker keeps the window's shards open.
"""
import math
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from cavmae_mm.registry import DATA_SAMPLERS


def sharded_dataset_of(dataset):
    """The dataset that knows its shards (``shard_of``), through wrappers
    such as the mixup dataset; raises when there is none."""
    inner = dataset
    while not hasattr(inner, 'shard_of'):
        if not hasattr(inner, 'dataset'):
            raise TypeError(f'{type(dataset).__name__} is not read from '
                            'shards (no shard_of()); use a sharded dataset '
                            '(ShardedAudioVisualDataset) or another sampler')
        inner = inner.dataset
    return inner


def locality_order(indices: np.ndarray, shard_of: np.ndarray, window: int,
                   rng: np.random.Generator) -> np.ndarray:
    """``indices`` reordered window of shards by window of shards.

    Args:
        indices (np.ndarray): The epoch's sample indices (any multiset).
        shard_of (np.ndarray): The shard of every sample of the dataset.
        window (int): Shards whose samples are shuffled together.
        rng (np.random.Generator): The epoch's generator.

    Returns:
        np.ndarray: The same indices, windows in random order, shuffled
        within each window.
    """
    position = rng.permutation(int(shard_of.max()) + 1)
    window_of = position[shard_of[indices]] // window
    return indices[np.lexsort((rng.random(len(indices)), window_of))]


def rank_block(sequence: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """Rank ``rank``'s contiguous share of ``sequence``, padded at the end
    with the sequence's first items so that every rank gets
    ``ceil(len / world_size)``."""
    per_rank = math.ceil(len(sequence) / world_size)
    missing = per_rank * world_size - len(sequence)
    padded = np.concatenate([sequence, sequence[:missing]])
    return padded[rank * per_rank:(rank + 1) * per_rank]


@DATA_SAMPLERS.register_module()
class ShardAwareSampler(Sampler):
    """Every sample once per epoch, read window by window of shards.

    The epoch's order comes from :func:`locality_order` (seed + epoch, the
    same on every rank); rank ``r`` of ``R`` takes the ``r``-th contiguous
    block of it. When ``R`` does not divide the dataset, the last block is
    completed with the epoch's first samples (as MMEngine's
    ``DefaultSampler`` pads), so every rank runs the same number of steps;
    a loader with ``drop_last`` then drops fewer than a batch per rank.

    Args:
        dataset: A sharded dataset (or a wrapper of one).
        shuffle (bool): Shuffle (window by window); False reads the
            samples in dataset order. Defaults to True.
        window (int): Shards shuffled together. Defaults to 8.
        seed (int, optional): Base seed; synchronised across ranks when
            None.
    """

    def __init__(self,
                 dataset,
                 shuffle: bool = True,
                 window: int = 8,
                 seed: Optional[int] = None) -> None:
        if window < 1:
            raise ValueError(f'window must be >= 1, got {window}')
        self.shard_of = sharded_dataset_of(dataset).shard_of()
        self.shuffle = shuffle
        self.window = window
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        indices = np.arange(len(self.shard_of))
        if self.shuffle:
            rng = np.random.default_rng(self.seed + self.epoch)
            indices = locality_order(indices, self.shard_of, self.window, rng)
        block = rank_block(indices, self.rank, self.world_size)
        return iter(block.tolist())

    def __len__(self) -> int:
        return math.ceil(len(self.shard_of) / self.world_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
