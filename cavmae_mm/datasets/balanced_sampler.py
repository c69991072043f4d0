"""Class-balanced sampling from a per-sample weight file."""
import math
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from cavmae_mm.registry import DATA_SAMPLERS
from .shard_sampler import locality_order, rank_block, sharded_dataset_of


def compute_sample_weights(label_indices: Sequence[Sequence[int]],
                           num_classes: int) -> np.ndarray:
    """The reference's rule: ``w(class) = 1000 / (count + 0.01)``; a clip's
    weight is the sum over its labels."""
    counts = np.zeros(num_classes)
    for indices in label_indices:
        for i in indices:
            counts[i] += 1
    class_weight = 1000.0 / (counts + 0.01)
    return np.array([class_weight[list(ind)].sum() for ind in label_indices])


def read_weights(path: Union[str, Path], expected: int) -> torch.Tensor:
    """One weight per line (the official ``*_weight.csv``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: sample weight file not found')
    try:
        weights = np.loadtxt(path, delimiter=',', ndmin=1)
    except ValueError as err:
        raise ValueError(f'{path}: not a list of numbers ({err})') from err
    if weights.shape != (expected, ):
        raise ValueError(f'{path}: {weights.size} weights for a dataset of '
                         f'{expected} samples')
    if not np.isfinite(weights).all() or (weights < 0).any() or \
            weights.sum() <= 0:
        raise ValueError(f'{path}: weights must be finite, >= 0, not all 0')
    return torch.as_tensor(weights, dtype=torch.float64)


def dataset_weights(dataset, weights_file: str) -> torch.Tensor:
    """The weight of each sample of ``dataset``.

    The weight file has one line per datum of the datalist. A dataset read
    from shards that were packed without some data (``source_datums``,
    ``datalist_size``) takes the lines of the data it holds.
    """
    try:
        inner = sharded_dataset_of(dataset)
    except TypeError:
        return read_weights(weights_file, len(dataset))
    if not inner._fully_initialized:
        inner.full_init()
    weights = read_weights(weights_file, inner.datalist_size)
    return weights[torch.as_tensor(inner.source_datums)]


@DATA_SAMPLERS.register_module()
class BalancedSampler(Sampler):
    """Weighted sampling with replacement, split across ranks.

    Every epoch draws ``num_samples`` indices (default: the dataset size, as
    the reference's ``WeightedRandomSampler(weights, len(weights))``) from
    one generator seeded by ``seed + epoch``, identical on every rank; rank
    ``r`` of ``W`` takes positions ``r, r + W, ...`` of the padded sequence,
    so the ranks share one draw with nothing duplicated or skipped.

    With ``shard_window`` (data read from shards) the same draws are
    ordered window by window of shards (:func:`locality_order`) and rank
    ``r`` takes the ``r``-th contiguous block: the drawn multiset, and so
    the label frequencies, are those of the weights; only the order within
    the epoch follows the shards.

    Args:
        dataset: The dataset (its length must match the weight file).
        weights_file (str): CSV of one weight per sample.
        num_samples (int, optional): Draws per epoch over all ranks.
        seed (int, optional): Base seed; synchronised across ranks when None.
        shard_window (int, optional): Shards read together (sharded data
            only). Defaults to None (the order of the draws).
    """

    def __init__(self,
                 dataset,
                 weights_file: str,
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None,
                 shard_window: Optional[int] = None) -> None:
        self.weights = dataset_weights(dataset, weights_file)
        self.rank, self.world_size = get_dist_info()
        self.total = num_samples if num_samples is not None else \
            len(self.weights)
        self.per_rank = math.ceil(self.total / self.world_size)
        self.seed = sync_random_seed() if seed is None else seed
        self.shard_window = shard_window
        self.shard_of = None if shard_window is None else \
            sharded_dataset_of(dataset).shard_of()
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        draws = torch.multinomial(
            self.weights,
            self.per_rank * self.world_size,
            replacement=True,
            generator=generator)
        if self.shard_of is None:
            return iter(draws[self.rank::self.world_size].tolist())
        rng = np.random.default_rng(self.seed + self.epoch)
        ordered = locality_order(draws.numpy(), self.shard_of,
                                 self.shard_window, rng)
        return iter(rank_block(ordered, self.rank, self.world_size).tolist())

    def __len__(self) -> int:
        return self.per_rank

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
