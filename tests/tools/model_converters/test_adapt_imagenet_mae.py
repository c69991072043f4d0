"""tools/model_converters/adapt_imagenet_mae.py: the reference's
initialisation rules."""
import torch

from tests.tool_loader import load_tool

adapt_imagenet_mae = load_tool('tools/model_converters/adapt_imagenet_mae.py')


def fake_mae(dim=48, dec=32, depth=3, dec_depth=2, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(shape, generator=gen)

    def block(prefix, d):
        return {
            f'{prefix}.norm1.weight': r(d),
            f'{prefix}.norm1.bias': r(d),
            f'{prefix}.attn.qkv.weight': r(3 * d, d),
            f'{prefix}.attn.qkv.bias': r(3 * d),
            f'{prefix}.attn.proj.weight': r(d, d),
            f'{prefix}.attn.proj.bias': r(d),
            f'{prefix}.norm2.weight': r(d),
            f'{prefix}.norm2.bias': r(d),
            f'{prefix}.mlp.fc1.weight': r(4 * d, d),
            f'{prefix}.mlp.fc1.bias': r(4 * d),
            f'{prefix}.mlp.fc2.weight': r(d, 4 * d),
            f'{prefix}.mlp.fc2.bias': r(d)
        }

    state = dict(
        cls_token=r(1, 1, dim),
        pos_embed=r(1, 197, dim),
        mask_token=r(1, 1, dec),
        decoder_pos_embed=r(1, 197, dec))
    state['patch_embed.proj.weight'] = r(dim, 3, 16, 16)
    state['patch_embed.proj.bias'] = r(dim)
    for i in range(depth):
        state.update(block(f'blocks.{i}', dim))
    state['norm.weight'], state['norm.bias'] = r(dim), r(dim)
    state['decoder_embed.weight'] = r(dec, dim)
    state['decoder_embed.bias'] = r(dec)
    for i in range(dec_depth):
        state.update(block(f'decoder_blocks.{i}', dec))
    state['decoder_norm.weight'] = r(dec)
    state['decoder_norm.bias'] = r(dec)
    state['decoder_pred.weight'] = r(768, dec)
    state['decoder_pred.bias'] = r(768)
    return state


def test_rules_of_the_reference(tmp_path):
    mae = fake_mae()
    torch.save(dict(model=mae), tmp_path / 'mae.pth')
    assert adapt_imagenet_mae.main([
        str(tmp_path / 'mae.pth'),
        str(tmp_path / 'init.pth'), '--modality-specific-depth', '2'
    ]) == 0
    out = torch.load(tmp_path / 'init.pth', weights_only=True)['state_dict']
    b = 'backbone.'
    for branch in ('blocks_a', 'blocks_v'):
        assert torch.equal(out[f'{b}{branch}.1.attn.qkv.weight'],
                           mae['blocks.1.attn.qkv.weight'])
    assert torch.equal(out[f'{b}blocks_u.0.mlp.fc1.weight'],
                       mae['blocks.2.mlp.fc1.weight'])
    for suffix in ('', '_a', '_v'):
        assert torch.equal(out[f'{b}blocks_u.0.norm1{suffix}.weight'],
                           mae['blocks.2.norm1.weight'])
        assert torch.equal(out[f'{b}norm{suffix}.bias'], mae['norm.bias'])
    assert torch.equal(out[f'{b}patch_embed_a.proj.weight'],
                       mae['patch_embed.proj.weight'].sum(1, keepdim=True))
    assert torch.equal(out[f'{b}pos_embed_v'], mae['pos_embed'][:, 1:])
    assert torch.equal(out['neck.pos_embed_v'], mae['decoder_pos_embed'][:,
                                                                         1:])
    assert torch.equal(out['neck.blocks.1.norm2.weight'],
                       mae['decoder_blocks.1.norm2.weight'])
    assert torch.equal(out['neck.mask_token'], mae['mask_token'])
    assert torch.equal(out['neck.pred_v.weight'], mae['decoder_pred.weight'])
    assert torch.equal(out['neck.pred_a.weight'],
                       mae['decoder_pred.weight'][:256])
    # what the MAE does not have keeps the model's own initialisation
    assert torch.equal(out[f'{b}blocks_a.0.norm1_a.weight'], torch.ones(48))
    assert out[f'{b}pos_embed_a'].shape == (1, 512, 48)


def test_not_an_mae_checkpoint(tmp_path, capsys):
    torch.save(
        dict(model={'fc.weight': torch.zeros(2, 2)}), tmp_path / 'x.pth')
    assert adapt_imagenet_mae.main(
        [str(tmp_path / 'x.pth'),
         str(tmp_path / 'y.pth')]) == 1
    assert 'x.pth' in capsys.readouterr().err
