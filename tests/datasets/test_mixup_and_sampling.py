"""Mixup wrapper, balanced sampler, sample-weight rule and tool."""
import random

import numpy as np
import pytest
import torch

from cavmae_mm.datasets import (AudioVisualDataset, AudioVisualMixupDataset,
                                BalancedSampler, compute_sample_weights,
                                mix_samples)
from cavmae_mm.datasets.transforms import EncodeLabels
from tests.datasets.helpers import tiny_pipeline
from tests.tool_loader import load_tool

gen_sample_weights = load_tool('tools/data/gen_sample_weights.py')


def reference_mixed_label(y1, y2, lam, num_classes, eps):
    """The reference's loop: eps/C everywhere, += lam(1-eps) per label of
    the first clip, += (1-lam)(1-eps) per label of the second."""
    label = np.zeros(num_classes) + eps / num_classes
    for i in y1:
        label[i] += lam * (1.0 - eps)
    for i in y2:
        label[i] += (1.0 - lam) * (1.0 - eps)
    return torch.tensor(label, dtype=torch.float32)


def test_mix_samples_matches_reference_formulas():
    enc = EncodeLabels(label_smooth=0.1)
    first = dict(
        waveform=torch.randn(1, 100) + 3,
        imgs=torch.full((3, 4, 4), 200, dtype=torch.uint8),
        label_indices=[0, 2],
        num_classes=5)
    second = dict(
        waveform=torch.randn(1, 60) - 2,
        imgs=torch.full((3, 4, 4), 100, dtype=torch.uint8),
        label_indices=[2, 4],
        num_classes=5,
        video_id='b')
    w1 = first['waveform'] - first['waveform'].mean()
    w2 = second['waveform'] - second['waveform'].mean()
    out = enc(mix_samples(dict(first), second, 0.3))  # the target after
    expected = 0.3 * w1 + 0.7 * torch.cat([w2, torch.zeros(1, 40)], 1)
    assert torch.allclose(out['waveform'], expected)
    assert torch.allclose(out['imgs'], torch.full((3, 4, 4), 130.0))
    assert torch.allclose(out['label'],
                          reference_mixed_label([0, 2], [2, 4], 0.3, 5, 0.1))
    assert out['mix_video_id'] == 'b'
    # a longer partner is cut to the first clip's length
    long = dict(second, waveform=torch.randn(1, 150))
    assert mix_samples(dict(first), long, 0.5)['waveform'].shape == (1, 100)


def loading_pipeline():
    return [
        dict(type='LoadAudio'),
        dict(type='SelectFrames', mode='random'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop', frame_size=32)
    ]


def after_mix_pipeline(prob=0.5):
    return [
        dict(type='AudioVisualMixup', prob=prob),
        dict(type='EncodeLabels', num_classes=3, label_smooth=0.1)
    ] + tiny_pipeline()[1:4] + [
        dict(
            type='PackActionInputs',
            collect_keys=('audios', 'imgs'),
            meta_keys=('video_id', 'mix_lambda'))
    ]


def clips_to_mix(datalist):
    """The datalist's clips, loaded up to the point where they mix."""
    return dict(
        type='AudioVisualDataset',
        ann_file=str(datalist / 'data.json'),
        label_file='labels.csv',
        data_root=str(datalist),
        pipeline=loading_pipeline())


def test_mixup_wrapper_rate_and_lambda(datalist):
    dataset = clips_to_mix(datalist)
    wrapper = AudioVisualMixupDataset(dataset, after_mix_pipeline(prob=0.5))
    random.seed(0)
    np.random.seed(0)
    lambdas = []
    for i in range(200):
        sample = wrapper[i % len(wrapper)]['data_samples']
        lambdas.append(sample.metainfo.get('mix_lambda'))
        assert sample.gt_label.dtype == torch.float32
    mixed = [lam for lam in lambdas if lam is not None]
    assert 70 < len(mixed) < 130
    # Beta(10, 10): mean 0.5, std sqrt(1/84) ~ 0.109
    assert abs(np.mean(mixed) - 0.5) < 0.04
    assert 0.08 < np.std(mixed) < 0.14
    assert wrapper.metainfo['num_classes'] == 3


def test_sample_weight_rule_and_tool(datalist, tmp_path):
    weights = compute_sample_weights([[0], [1, 2], [2], [0, 1]], 3)
    per_class = 1000 / (np.array([2, 2, 2]) + 0.01)
    assert np.allclose(weights, [
        per_class[0], per_class[1] + per_class[2], per_class[2],
        per_class[0] + per_class[1]
    ])
    out = tmp_path / 'w.csv'
    assert gen_sample_weights.main(
        [str(datalist / 'data.json'),
         str(datalist / 'labels.csv'),
         str(out)]) == 0
    assert np.allclose(np.loadtxt(out, delimiter=','), weights)


def write_weights(path, weights):
    np.savetxt(path, np.asarray(weights, dtype=float), delimiter=',')
    return str(path)


def test_balanced_sampler_follows_weights(tmp_path):
    path = write_weights(tmp_path / 'w.csv', [1, 1, 2, 0, 4])
    sampler = BalancedSampler(list(range(5)), path, num_samples=8000, seed=3)
    counts = np.bincount(list(sampler), minlength=5) / 8000
    assert np.allclose(counts, [0.125, 0.125, 0.25, 0, 0.5], atol=0.02)
    assert len(sampler) == 8000


def test_ranks_share_one_draw_without_duplicates_or_gaps(tmp_path):
    path = write_weights(tmp_path / 'w.csv', np.arange(1, 12))
    single = BalancedSampler(list(range(11)), path, seed=5)
    single.set_epoch(2)
    ranks = []
    for rank in range(2):
        sampler = BalancedSampler(list(range(11)), path, seed=5)
        sampler.rank, sampler.world_size = rank, 2
        sampler.per_rank = 6
        sampler.set_epoch(2)
        ranks.append(list(sampler))
    generator = torch.Generator().manual_seed(7)
    full = torch.multinomial(
        single.weights, 12, replacement=True, generator=generator).tolist()
    interleaved = [x for pair in zip(*ranks, strict=True) for x in pair]
    assert interleaved == full
    assert len(ranks[0]) == len(ranks[1]) == 6
    single.set_epoch(3)
    assert list(single) != list(BalancedSampler(list(range(11)), path, seed=5))


@pytest.mark.parametrize('content,match', [
    ('1\n2\n', '2 weights for a dataset of 3'),
    ('1\nx\n3\n', 'not a list of numbers'),
    ('0\n0\n0\n', 'not all 0'),
])
def test_bad_weight_files(tmp_path, content, match):
    (tmp_path / 'w.csv').write_text(content)
    with pytest.raises(ValueError, match=match):
        BalancedSampler([0, 1, 2], str(tmp_path / 'w.csv'), seed=0)
    with pytest.raises(FileNotFoundError):
        BalancedSampler([0, 1, 2], str(tmp_path / 'missing.csv'), seed=0)


def test_dataset_builds_in_tool_without_pipeline(datalist):
    ds = AudioVisualDataset(
        str(datalist / 'data.json'), str(datalist / 'labels.csv'))
    assert len(ds) == 4


def test_frames_mixed_on_the_device_need_mix_lambda_packed(datalist):
    dataset = clips_to_mix(datalist)
    pipeline = after_mix_pipeline(prob=1.0)
    pipeline[0]['frames_on_device'] = True
    wrapper = AudioVisualMixupDataset(dataset, pipeline)
    sample = wrapper[0]
    imgs = sample['inputs']['imgs']
    assert imgs.dtype == torch.uint8 and imgs.shape == (2, 3, 32, 32)
    assert 0 < sample['data_samples'].metainfo['mix_lambda'] < 1
    pipeline[-1]['meta_keys'] = ('video_id', )
    with pytest.raises(ValueError, match="drops 'mix_lambda'"):
        AudioVisualMixupDataset(dataset, pipeline)
    with pytest.raises(TypeError, match='must be uint8'):
        mix_samples(
            dict(waveform=torch.zeros(1, 4), imgs=torch.zeros(3, 2, 2)),
            dict(waveform=torch.zeros(1, 4), imgs=torch.zeros(3, 2, 2)),
            0.5,
            pair_frames=True)
