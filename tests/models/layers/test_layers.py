"""Position tables, masking, the tri-norm block and patchify."""
import random

import pytest
import torch

from cavmae_mm.models.layers import (TriNormBlock, num_kept, patchify,
                                     random_masking, sincos_pos_embed_2d,
                                     structured_audio_noise, trim_time_columns,
                                     unpatchify)
from tests.reference.official_functional import _patchify, ref_sincos_table


@pytest.mark.parametrize('dim,rows,cols', [(768, 8, 64), (768, 14, 14),
                                           (512, 8, 64), (512, 8, 32)])
def test_sincos_table_matches_reference(dim, rows, cols):
    ours = sincos_pos_embed_2d(dim, rows, cols)
    ref = torch.from_numpy(ref_sincos_table(dim, rows, cols))
    assert ours.dtype == torch.float32 and ours.shape == (rows * cols, dim)
    assert torch.equal(ours, ref)


def test_trimmed_audio_table_equals_the_shorter_table():
    full = sincos_pos_embed_2d(64, 8, 64)[None]
    assert torch.equal(
        trim_time_columns(full, 8, 32),
        sincos_pos_embed_2d(64, 8, 32)[None])
    with pytest.raises(ValueError, match='cannot trim'):
        trim_time_columns(full, 8, 65)


@pytest.mark.parametrize('ratio', [0.5, 0.65, 0.75, 0.85])
def test_unstructured_masking_invariants(ratio):
    tokens = torch.randn(3, 512, 4)
    noise = torch.rand(3, 512)
    kept, mask, restore = random_masking(tokens, ratio, noise)
    keep = int(512 * (1 - ratio))
    assert keep == num_kept(512, ratio)
    assert kept.shape == (3, keep, 4)
    assert torch.equal(mask.sum(1), torch.full((3, ), 512.0 - keep))
    # the kept tokens are those with the lowest noise, and mask agrees
    lowest = noise.argsort(1)[:, :keep]
    expected = torch.ones(3, 512)
    expected.scatter_(1, lowest, 0.0)
    assert torch.equal(mask, expected)
    assert torch.equal(
        kept, torch.gather(tokens, 1, lowest[..., None].expand(-1, -1, 4)))
    # restore indices undo the shuffle: full sequence back in order
    shuffled = torch.cat([kept, torch.zeros(3, 512 - keep, 4)], 1)
    restored = torch.gather(shuffled, 1, restore[..., None].expand(-1, -1, 4))
    visible = mask == 0
    assert torch.equal(restored[visible], tokens[visible])


def test_masking_rejects_bad_arguments():
    with pytest.raises(ValueError, match='noise must have shape'):
        random_masking(torch.randn(2, 8, 4), 0.5, torch.rand(2, 7))
    with pytest.raises(ValueError, match='mask_ratio'):
        random_masking(torch.randn(2, 8, 4), 1.0, torch.rand(2, 8))


@pytest.mark.parametrize('mode,whole', [('time', 'cols'), ('freq', 'rows')])
def test_structured_modes_mask_whole_rows(mode, whole):
    random.seed(0)
    f, t, ratio = 8, 64, 0.75
    noise = structured_audio_noise(torch.rand(4, f * t), ratio, (f, t), mode)
    _, mask, _ = random_masking(torch.randn(4, f * t, 2), ratio, noise)
    grid = mask.reshape(4, f, t)
    lines = grid.all(dim=1) if whole == 'cols' else grid.all(dim=2)
    count = int(t * ratio) if whole == 'cols' else int(f * ratio)
    assert torch.equal(lines.sum(1), torch.full((4, ), count))
    # nothing outside those whole lines is masked
    assert torch.equal(
        grid.sum((1, 2)),
        lines.sum(1).float() * (f if whole == 'cols' else t))


def test_tf_mode_forces_rows_and_columns():
    random.seed(1)
    f, t, ratio = 8, 64, 0.75
    noise = structured_audio_noise(torch.rand(2, f * t), ratio, (f, t), 'tf')
    forced = (noise == 1.1).reshape(2, f, t)
    # int(64 * 0.75 * 0.7) = 33 whole columns, int(8 * 0.75 * 0.7) = 4 rows
    assert torch.equal(forced.all(1).sum(1), torch.full((2, ), 33))
    assert torch.equal(forced.all(2).sum(1), torch.full((2, ), 4))
    _, mask, _ = random_masking(torch.randn(2, f * t, 2), ratio, noise)
    assert torch.equal(mask.sum(1), torch.full((2, ), 384.0))
    # every token outside the forced rows and columns is kept
    assert not bool(mask.reshape(2, f, t)[~forced].any())


def test_structured_rejects_unknown_mode():
    with pytest.raises(ValueError, match='structured mode'):
        structured_audio_noise(torch.rand(1, 8), 0.5, (2, 4), 'diagonal')


@pytest.mark.parametrize('norm_set,own', [('joint', ('norm1', 'norm2')),
                                          ('audio', ('norm1_a', 'norm2_a')),
                                          ('visual', ('norm1_v', 'norm2_v'))])
def test_tri_norm_block_uses_only_its_norm_pair(norm_set, own):
    block = TriNormBlock(16, 2).eval()
    x = torch.randn(2, 5, 16)
    before = block(x, norm_set)
    with torch.no_grad():
        for name in ('norm1', 'norm2', 'norm1_a', 'norm2_a', 'norm1_v',
                     'norm2_v'):
            if name not in own:
                getattr(block, name).weight.mul_(3.0)
    assert torch.allclose(block(x, norm_set), before)
    with torch.no_grad():
        getattr(block, own[0]).weight.mul_(3.0)
    assert not torch.allclose(block(x, norm_set), before)
    with pytest.raises(ValueError, match='norm_set'):
        block(x, 'both')


def test_patchify_order_and_round_trip():
    imgs = torch.randn(2, 3, 32, 48)
    patches = patchify(imgs, 16)
    assert torch.equal(patches, _patchify(imgs, 16))
    assert torch.equal(unpatchify(patches, 3, 2, 3, 16), imgs)
