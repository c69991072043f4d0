"""The ImageNet-MAE start, step by step: blocks split at k, LayerNorms of
the shared blocks copied per modality, the audio patch embedding summed
over RGB; wrong inputs are named."""
import pytest
import torch

from cavmae_mm.checkpoint import CheckpointMismatch, imagenet_mae_to_official
from cavmae_mm.checkpoint.imagenet_mae import (encoder_depth, patch_embeddings,
                                               split_blocks)


def tiny_mae(depth=3, dim=4):
    state = {}
    for i in range(depth):
        state[f'blocks.{i}.norm1.weight'] = torch.full((dim, ), float(i))
        state[f'blocks.{i}.attn.qkv.weight'] = torch.full((3 * dim, dim), i)
    state['patch_embed.proj.weight'] = torch.arange(
        dim * 3 * 4, dtype=torch.float).reshape(dim, 3, 2, 2)
    state['patch_embed.proj.bias'] = torch.zeros(dim)
    return state


def full_mae(depth=3, dim=4):
    """tiny_mae with the final norm, the position tables and a decoder."""
    state = tiny_mae(depth, dim)
    for param in ('weight', 'bias'):
        state[f'norm.{param}'] = torch.ones(dim)
    state['pos_embed'] = torch.zeros(1, 5, dim)
    state['decoder_pos_embed'] = torch.zeros(1, 5, 2)
    state['mask_token'] = torch.zeros(1, 1, 2)
    state['decoder_pred.weight'] = torch.zeros(12, 2)
    state['decoder_pred.bias'] = torch.zeros(12)
    return state


def test_blocks_split_at_k():
    mae = tiny_mae()
    assert encoder_depth(mae) == 3
    out = split_blocks(mae, 2)
    assert torch.equal(out['blocks_a.1.attn.qkv.weight'],
                       mae['blocks.1.attn.qkv.weight'])
    assert torch.equal(out['blocks_v.0.norm1.weight'],
                       mae['blocks.0.norm1.weight'])
    for suffix in ('', '_a', '_v'):
        assert torch.equal(out[f'blocks_u.0.norm1{suffix}.weight'],
                           mae['blocks.2.norm1.weight'])
    assert 'blocks_u.0.attn.qkv.weight_a' not in out


def test_audio_patch_embedding_sums_rgb():
    mae = tiny_mae()
    out = patch_embeddings(mae)
    assert out['patch_embed_a.proj.weight'].shape == (4, 1, 2, 2)
    assert torch.equal(out['patch_embed_a.proj.weight'],
                       mae['patch_embed.proj.weight'].sum(1, keepdim=True))


def test_wrong_inputs_are_named():
    with pytest.raises(CheckpointMismatch, match='not a vision-MAE'):
        imagenet_mae_to_official({'fc.weight': torch.zeros(1)})
    with pytest.raises(CheckpointMismatch, match='norm.weight'):
        imagenet_mae_to_official(tiny_mae(), modality_specific_depth=2)
    with pytest.raises(CheckpointMismatch, match='3 blocks cannot give 3'):
        imagenet_mae_to_official(full_mae(), modality_specific_depth=3)
    out = imagenet_mae_to_official(full_mae(), modality_specific_depth=2)
    assert out['decoder_pred_a.weight'].shape == (4, 2)
    assert out['pos_embed_v'].shape == (1, 4, 4)
