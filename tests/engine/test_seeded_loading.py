"""Per-sample seeds: a sample's random draws depend on its place in the run
(seed, epoch, rank, position), not on the loader worker that fetched it
nor on what the process drew before."""
import pickle
import random

import numpy as np
import torch
from torch.utils.data import DataLoader

from cavmae_mm.engine.seeded_loading import (SeededDataset, sample_seed,
                                             seeded_loader)


class Draws:
    """Each sample: its index and one draw of each global generator."""

    metainfo = dict(classes=('a', 'b'))
    label_file = 'labels.csv'

    def __len__(self):
        return 10

    def __getitem__(self, index):
        return (index, random.random(), float(np.random.rand()),
                float(torch.rand(1)))


def draws(loader, epoch=0, skip=0, seed=7):
    loader.batch_sampler.start_epoch(epoch, skip, seed)
    return [sample for batch in loader for sample in batch]


def plain_loader(workers=0):
    return DataLoader(
        Draws(),
        batch_size=3,
        shuffle=False,
        num_workers=workers,
        persistent_workers=workers > 0,
        collate_fn=list)


def test_sample_seed_depends_on_every_part():
    seeds = {
        sample_seed(*parts)
        for parts in [(0, 0, 0, 0), (1, 0, 0,
                                     0), (0, 1, 0,
                                          0), (0, 0, 1,
                                               0), (0, 0, 0,
                                                    1), (2**40, 3, 1, 5)]
    }
    assert len(seeds) == 6
    assert sample_seed(3, 1, 0, 4) == sample_seed(3, 1, 0, 4)
    assert all(0 <= seed < 2**64 for seed in seeds)


def test_proxy_seeds_the_fetch_forwards_the_dataset_and_keeps_the_stream():
    proxy = SeededDataset(Draws())
    assert len(proxy) == 10 and proxy.metainfo == Draws.metainfo
    assert proxy.label_file == 'labels.csv'
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    first = proxy[(3, 11)]
    assert proxy[(3, 11)] == first  # the same seed, the same draws
    assert proxy[(3, 12)][1:] != first[1:]
    # the main process's generators are where they were
    assert (random.random(), float(np.random.rand()),
            float(torch.rand(1))) == expected
    # a plain index is fetched as it is; the proxy pickles (spawn workers)
    assert proxy[4][0] == 4
    assert pickle.loads(pickle.dumps(proxy))[(3, 11)] == first


def test_draws_do_not_depend_on_the_workers_and_skip_keeps_positions():
    single = seeded_loader(plain_loader(), 0)
    workers = seeded_loader(plain_loader(workers=2), 0)
    state = torch.get_rng_state()
    epoch0 = draws(single)
    assert draws(workers) == epoch0
    assert torch.equal(torch.get_rng_state(), state)  # iter() drew nothing
    assert [sample[0] for sample in epoch0] == list(range(10))
    assert len({sample[1:] for sample in epoch0}) == 10
    # resumed after the first batch: the same samples, the same draws
    assert draws(workers, skip=1) == epoch0[3:]
    # another epoch (persistent workers reused), another seed: new draws
    epoch1 = draws(workers, epoch=1)
    assert epoch1 != epoch0 and draws(single, epoch=1) == epoch1
    assert draws(single, seed=8) != epoch0


def test_loader_without_batch_sampler_is_not_seeded():
    loader = DataLoader(Draws(), batch_size=None)
    assert seeded_loader(loader, 0) is None
