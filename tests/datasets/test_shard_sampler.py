"""Sampling sharded data: every sample once per epoch over R ranks x W
workers (real processes), the same steps on every rank, few shards open at
a time, and balanced sampling that keeps the official weights."""
import json
import math

import numpy as np
import pytest
import torch.multiprocessing as mp

from cavmae_mm.datasets import (BalancedSampler, ShardAwareSampler,
                                ShardedAudioVisualDataset,
                                compute_sample_weights)
from cavmae_mm.datasets.shard_sampler import locality_order, rank_block
from tests.datasets.test_sharded_dataset import clip_members, write_set


class _Shards:
    """Just what the samplers read of a sharded dataset."""

    def __init__(self, shard_of, datalist_size=None):
        self._shards = np.asarray(shard_of)
        self.source_datums = np.arange(len(self._shards))
        self.datalist_size = datalist_size or len(self._shards)
        self._fully_initialized = True

    def shard_of(self):
        return self._shards

    def __len__(self):
        return len(self._shards)


def blocks(sampler, world_size):
    """Every rank's indices of one epoch (the rank set by hand)."""
    out = []
    for rank in range(world_size):
        sampler.rank, sampler.world_size = rank, world_size
        out.append(list(sampler))
    return out


@pytest.mark.parametrize('size,world_size', [(100, 1), (100, 4), (103, 4),
                                             (7, 3)])
def test_every_sample_once_and_equal_steps(size, world_size):
    data = _Shards(np.arange(size) // 10)
    sampler = ShardAwareSampler(data, window=2, seed=3)
    ranks = blocks(sampler, world_size)
    per_rank = math.ceil(size / world_size)
    assert [len(r) for r in ranks] == [per_rank] * world_size
    seen = [i for r in ranks for i in r]
    assert sorted(set(seen)) == list(range(size))
    # only the padding repeats samples
    assert len(seen) - size == per_rank * world_size - size
    sampler.set_epoch(1)
    assert blocks(sampler, world_size) != ranks  # another order each epoch


def test_windows_keep_few_shards_open():
    shard_of = np.arange(10_000) // 500  # 20 shards of 500
    order = locality_order(
        np.arange(10_000), shard_of, 4, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(10_000))
    # five windows: each 2,000 consecutive samples come from 4 shards
    for start in range(0, 10_000, 2_000):
        assert len(set(shard_of[order[start:start + 2_000]])) == 4
    # mixed within a window: the first 100 draw from every shard of it
    assert len(set(shard_of[order[:100]])) == 4
    assert rank_block(np.arange(5), 1, 2).tolist() == [3, 4, 0]


def test_balanced_draws_keep_the_weights(tmp_path):
    """The multiset of draws is the file route's (same seed), and the
    drawn label frequencies match the weights: every class within 5
    standard deviations of its expected count over 200,000 draws."""
    rng = np.random.default_rng(0)
    num_classes = 12
    # imbalanced multi-label data: class c is about 2**-c as frequent
    labels = []
    for _ in range(2_000):
        first = min(int(rng.geometric(0.5)) - 1, num_classes - 1)
        extra = [int(rng.integers(num_classes))] if rng.random() < 0.05 \
            else []
        labels.append(sorted({first, *extra}))
    weights = compute_sample_weights(labels, num_classes)
    weights_file = tmp_path / 'w.csv'
    np.savetxt(weights_file, weights, delimiter=',')
    data = _Shards(np.arange(2_000) // 100)
    sharded = BalancedSampler(
        data, str(weights_file), num_samples=200_000, seed=5, shard_window=3)
    plain = BalancedSampler(
        data, str(weights_file), num_samples=200_000, seed=5)
    draws = np.array(list(sharded))
    assert sorted(draws.tolist()) == sorted(plain)
    hot = np.zeros((len(labels), num_classes))
    for i, indices in enumerate(labels):
        hot[i, indices] = 1
    expected = hot.T @ (weights / weights.sum())  # P(a draw has class c)
    counts = hot[draws].sum(0)
    sigma = np.sqrt(len(draws) * expected * (1 - expected))
    assert (np.abs(counts - len(draws) * expected) <= 5 * sigma).all()
    # balancing works: the rarest class is drawn about as often as the
    # most frequent one, though it is far rarer in the data
    raw = hot.sum(0)
    assert raw.max() / raw.min() > 50
    assert counts.max() / counts.min() < 3


def test_weights_follow_the_datums_of_partial_shards(tmp_path):
    np.savetxt(tmp_path / 'w.csv', np.arange(1, 6), delimiter=',')
    data = _Shards([0, 0, 1], datalist_size=5)
    data.source_datums = np.array([0, 2, 4])  # datums 1 and 3 left out
    sampler = BalancedSampler(data, str(tmp_path / 'w.csv'))
    assert sampler.weights.tolist() == [1.0, 3.0, 5.0]


def _video_ids(batch):
    return [sample['video_id'] for sample in batch]


def _rank_main(rank, world_size, init_file, manifest, out_dir):
    import torch.distributed as dist
    from torch.utils.data import DataLoader
    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        dataset = ShardedAudioVisualDataset(
            ann_file=manifest,
            pipeline=[dict(type='LoadAudio')],
            label_file=str(manifest).replace('manifest.json', 'labels.csv'))
        sampler = ShardAwareSampler(dataset, window=2)
        # workers forked as the recipes' mp_start_method
        loader = DataLoader(
            dataset,
            batch_size=2,
            sampler=sampler,
            num_workers=2,
            drop_last=True,
            persistent_workers=True,
            multiprocessing_context='fork',
            collate_fn=_video_ids)
        ids = []
        for epoch in range(2):
            sampler.set_epoch(epoch)
            ids.append([vid for batch in loader for vid in batch])
        with open(f'{out_dir}/rank{rank}.json', 'w') as handle:
            json.dump(ids, handle)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_two_workers_read_each_sample_once(tmp_path):
    manifest = write_set(
        tmp_path / 'set', [clip_members(i % 3) for i in range(12)],
        per_shard=3)
    mp.start_processes(
        _rank_main,
        args=(2, str(tmp_path / 'init'), str(manifest), str(tmp_path)),
        nprocs=2,
        start_method='spawn')
    ranks = [
        json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)
    ]
    for epoch in range(2):
        per_rank = [ranks[r][epoch] for r in (0, 1)]
        assert [len(ids) for ids in per_rank] == [6, 6]
        seen = per_rank[0] + per_rank[1]
        assert sorted(seen) == sorted(f'v{i}' for i in range(12))
    assert ranks[0][0] != ranks[0][1]  # reshuffled by epoch
