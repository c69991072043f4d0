"""Numerical parity with the reference computation (tests/reference)."""
from pathlib import Path

import pytest
import torch

from cavmae_mm.checkpoint import mm_to_official, official_to_mm
from cavmae_mm.models.modality import OFFICIAL_MODALITY_NAMES
from cavmae_mm.registry import MODELS
from tests.helpers import (DEC_HEADS, HEADS, randomize_, seed_all, tiny_inputs,
                           tiny_pretrain_cfg, tiny_recognizer_cfg)
from tests.reference.official_functional import (ref_features,
                                                 ref_finetune_logits,
                                                 ref_pretrain_losses)

# tests/data/official_cavmae_*_keys.txt: every released tensor
SPEC = Path(__file__).resolve().parents[1] / 'data'


def assert_close(ours, ref, rtol=1e-4):
    scale = ref.abs().max().clamp_min(1e-6)
    assert (ours - ref).abs().max() / scale < rtol


def official_state(model):
    return {
        k[len('module.'):]: v
        for k, v in mm_to_official(model.state_dict()).items()
    }


@pytest.mark.parametrize('modality', list(OFFICIAL_MODALITY_NAMES))
def test_finetune_logits_match_reference(modality):
    """Each modality (built by its official name, the reference's mode)
    against the reference."""
    model = randomize_(MODELS.build(tiny_recognizer_cfg(modality=modality)))
    model.eval()
    inputs = tiny_inputs()
    ref = ref_finetune_logits(
        official_state(model), inputs['audios'], inputs['imgs'], modality,
        HEADS)
    assert_close(model(inputs, mode='tensor'), ref)


def test_pretrain_features_match_reference():
    model = randomize_(MODELS.build(tiny_pretrain_cfg())).eval()
    inputs = tiny_inputs()
    ref_a, ref_v = ref_features(
        official_state(model), inputs['audios'], inputs['imgs'], HEADS)
    audio, visual = model(inputs, mode='tensor')
    assert_close(audio, ref_a)
    assert_close(visual, ref_v)


@pytest.mark.parametrize('mask_mode', ['unstructured', 'time', 'freq', 'tf'])
@pytest.mark.parametrize('bidirectional', [False, True])
def test_pretrain_losses_match_reference_under_same_seed(
        mask_mode, bidirectional):
    cfg = tiny_pretrain_cfg(audio_mask_mode=mask_mode)
    cfg['contrastive_head']['bidirectional'] = bidirectional
    model = randomize_(MODELS.build(cfg)).eval()
    inputs = tiny_inputs(batch=3)
    seed_all(7)
    ref = ref_pretrain_losses(
        official_state(model),
        inputs['audios'],
        inputs['imgs'],
        HEADS,
        DEC_HEADS,
        mask_mode=mask_mode,
        bidirectional=bidirectional)
    seed_all(7)
    losses = model(inputs, mode='loss')
    for key in ('loss_mae_a', 'loss_mae_v', 'loss_c', 'acc_c'):
        assert_close(losses[key], ref[key])
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert_close(total, ref['loss'])


def _random_official(path, seed=0):
    """Random tensors with the names and shapes of a released checkpoint."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for line in path.read_text().splitlines():
        name, shape = line.split('\t')
        shape = tuple(int(s) for s in shape.strip('()').split(',') if s)
        noise = torch.randn(shape, generator=gen)
        is_norm_weight = 'norm' in name and name.endswith('weight') or \
            name.startswith('module.mlp_head.0.weight')
        state[name] = 1 + 0.1 * noise if is_norm_weight else 0.02 * noise
    return state


def test_full_size_finetuned_checkpoint_matches_reference():
    """A converted full-size (AS-2M, 527 classes) checkpoint: all five
    modalities and the retrieval features against the reference."""
    official = _random_official(SPEC / 'official_cavmae_finetune_keys.txt')
    converted, kind, _ = official_to_mm(official)
    assert kind == 'finetune'
    cfg = tiny_recognizer_cfg(num_classes=527)
    cfg['backbone'] = dict(type='CAVMAEEncoder', trainable_pos_embed=True)
    cfg['cls_head']['in_channels'] = 768
    model = MODELS.build(cfg)
    model.load_state_dict(converted, strict=True)
    model.eval()
    plain = {k[len('module.'):]: v for k, v in official.items()}
    gen = torch.Generator().manual_seed(1)
    inputs = dict(
        audios=torch.randn(1, 1024, 128, generator=gen),
        imgs=torch.randn(1, 3, 224, 224, generator=gen))
    with torch.no_grad():
        for modality in OFFICIAL_MODALITY_NAMES:
            model.modality = modality
            ref = ref_finetune_logits(plain, inputs['audios'], inputs['imgs'],
                                      modality, 12)
            assert_close(model(inputs, mode='tensor'), ref)


def test_full_size_pretrained_checkpoint_matches_reference():
    official = _random_official(SPEC / 'official_cavmae_pretrain_keys.txt')
    converted, kind, _ = official_to_mm(official)
    assert kind == 'pretrain'
    model = MODELS.build(
        dict(
            type='CAVMAE',
            backbone=dict(type='CAVMAEEncoder'),
            neck=dict(type='CAVMAEDecoder'),
            reconstruction_head=dict(type='CAVMAEReconstructionHead'),
            contrastive_head=dict(type='CAVMAEContrastiveHead')))
    model.load_state_dict(converted, strict=True)
    model.eval()
    plain = {k[len('module.'):]: v for k, v in official.items()}
    gen = torch.Generator().manual_seed(2)
    inputs = dict(
        audios=torch.randn(2, 1024, 128, generator=gen),
        imgs=torch.randn(2, 3, 224, 224, generator=gen))
    with torch.no_grad():
        seed_all(3)
        ref = ref_pretrain_losses(plain, inputs['audios'], inputs['imgs'], 12,
                                  16)
        seed_all(3)
        losses = model(inputs, mode='loss')
        for key in ('loss_mae_a', 'loss_mae_v', 'loss_c'):
            assert_close(losses[key], ref[key])
        ref_a, ref_v = ref_features(plain, inputs['audios'][:1],
                                    inputs['imgs'][:1], 12)
        audio, visual = model({
            k: v[:1]
            for k, v in inputs.items()
        },
                              mode='tensor')
    assert audio.shape == (1, 512, 768) and visual.shape == (1, 196, 768)
    assert_close(audio, ref_a)
    assert_close(visual, ref_v)
