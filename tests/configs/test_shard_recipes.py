"""The -shards recipes are their file recipes with only the data source
changed: the same model, schedule, pipelines and loader settings."""
from pathlib import Path

import pytest

from cavmae_mm.config import load_config

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
SHARD_RECIPES = sorted(p.name for p in CONFIGS.rglob('*-shards.py'))
#: What a -shards config may change: where the data come from and how the
#: train sampler walks it.
DATA_SOURCE = {'type', 'ann_file'}
SAMPLERS = {'ShardAwareSampler', 'BalancedSampler'}


def flatten(value, prefix=''):
    """``{dotted key: value}`` of nested dicts and lists."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f'{prefix}{key}.'))
        return out
    if isinstance(value, (list, tuple)):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f'{prefix}{i}.'))
        return out
    return {prefix[:-1]: value}


def test_every_family_has_its_shard_recipe():
    assert set(SHARD_RECIPES) >= {
        'cavmae_as2m-shards.py', 'cavmae-ft_as2m-shards.py',
        'cavmae-ft_as20k-shards.py', 'cavmae_vggsound-shards.py',
        'cavmae-ft_vggsound-shards.py', 'cavmae_demo_pretrain-shards.py'
    }


@pytest.mark.parametrize('name', SHARD_RECIPES)
def test_only_the_data_source_differs(name):
    path = next(CONFIGS.rglob(name))
    shards = load_config(str(path))
    files = load_config(str(path.with_name(name.replace('-shards', ''))))
    a, b = flatten(files.to_dict()), flatten(shards.to_dict())
    changed = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    for key in changed:
        loader, _, rest = key.partition('.')
        last = rest.rsplit('.', 1)[-1]
        if rest.startswith('sampler.'):
            assert loader == 'train_dataloader', key
            assert b[f'{loader}.sampler.type'] in SAMPLERS, key
            continue
        if last in DATA_SOURCE and 'pipeline' not in rest:
            continue
        # variables only the -shards files state (eval_shards, the shards
        # base's shard_window, ...)
        assert key.split('.')[0] not in files, key
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = shards.get(loader) and shards[loader].dataset
        while dataset is not None:
            if 'ann_file' in dataset and 'pipeline' in dataset:
                assert dataset.type == 'ShardedAudioVisualDataset', loader
                assert dataset.ann_file.endswith('manifest.json')
            dataset = dataset.get('dataset')
