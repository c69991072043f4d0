"""The CAV-MAE encoder: shapes of every path, checks, table trimming."""
import pytest
import torch

from cavmae_mm.models.backbones import PATHS
from tests.helpers import TINY, TINY_ENCODER, tiny_inputs


@pytest.fixture
def encoder(build):
    model = build(TINY_ENCODER)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('masked', [False, True])
def test_every_path_shape(encoder, masked):
    inputs = tiny_inputs(batch=3)
    ratios = dict(mask_ratio_a=0.75, mask_ratio_v=0.5) if masked else {}
    out = encoder(
        inputs['audios'], inputs['imgs'], paths=tuple(PATHS), **ratios)
    la, lv = (2, 2) if masked else (8, 4)  # int(8*.25), int(4*.5)
    expected = dict(
        joint=la + lv, audio=la, visual=lv, audio_joint=la, visual_joint=lv)
    for path, length in expected.items():
        assert out.paths[path].shape == (3, length, 32)
    if masked:
        assert out.audio_masking.mask.shape == (3, 8)
        assert out.visual_masking.mask.shape == (3, 4)
    else:
        assert out.audio_masking is None and out.visual_masking is None


def test_single_modality_paths_need_only_their_input(encoder):
    inputs = tiny_inputs()
    out = encoder(inputs['audios'], None, paths=('audio', 'audio_joint'))
    assert set(out.paths) == {'audio', 'audio_joint'}
    with pytest.raises(ValueError, match='need image input'):
        encoder(inputs['audios'], None, paths=('joint', ))
    with pytest.raises(ValueError, match='need audio input'):
        encoder(None, inputs['imgs'], paths=('audio', ))


def test_bad_inputs_are_rejected(encoder):
    inputs = tiny_inputs()
    with pytest.raises(ValueError, match='audio must be fbank'):
        encoder(inputs['audios'][:, :32], inputs['imgs'])
    with pytest.raises(ValueError, match='images must have shape'):
        encoder(inputs['audios'], inputs['imgs'][..., :16])
    with pytest.raises(ValueError, match='unknown encoder paths'):
        encoder(inputs['audios'], inputs['imgs'], paths=('fusion', ))
    with pytest.raises(ValueError, match='audio_mask_mode'):
        encoder(
            inputs['audios'],
            inputs['imgs'],
            mask_ratio_a=0.5,
            audio_mask_mode='random')


def test_init_weights_fills_fixed_tables(encoder):
    from cavmae_mm.models.layers import sincos_pos_embed_2d
    assert torch.equal(encoder.pos_embed_a[0], sincos_pos_embed_2d(32, 2, 4))
    assert not encoder.pos_embed_a.requires_grad


def test_shorter_audio_loads_longer_checkpoint_with_trimmed_table(build):
    long = build(TINY_ENCODER)
    long.init_weights()
    short = build(dict(TINY_ENCODER, target_length=TINY['target_length'] // 2))
    short.load_state_dict(long.state_dict(), strict=True)
    expected = long.pos_embed_a.reshape(1, 2, 4,
                                        32)[:, :, :2].reshape(1, 4, 32)
    assert torch.equal(short.pos_embed_a, expected)
    fbank = torch.randn(1, TINY['target_length'] // 2, TINY['num_mel_bins'])
    assert short(fbank, None, paths=('audio', )).paths['audio'].shape == \
        (1, 4, 32)


def test_the_decoder_trims_its_audio_table_by_the_same_hook(build):
    """One load pre-hook (layers/pos_embed.py) serves encoder and decoder;
    a whole pretraining model of 10 s clips loads into one of 5 s."""
    from tests.helpers import tiny_pretrain_cfg
    long = build(tiny_pretrain_cfg())
    long.init_weights()
    half = TINY['target_length'] // 2
    cfg = tiny_pretrain_cfg()
    cfg['backbone']['target_length'] = cfg['neck']['target_length'] = half
    short = build(cfg)
    short.load_state_dict(long.state_dict(), strict=True)
    for part in ('backbone', 'neck'):
        table = getattr(long, part).pos_embed_a
        rows, dim = 2, table.shape[-1]
        expected = table.reshape(1, rows, 4, dim)[:, :, :2].reshape(1, 4, dim)
        assert torch.equal(getattr(short, part).pos_embed_a, expected)
