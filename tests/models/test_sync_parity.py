"""CAV-MAE Sync against the official code's own numbers.

``tests/data/sync_reference.pt`` holds what the official ``cav_mae_sync.py``
and ``retrieval.py`` computed (run in a separate environment by
``tests/reference/make_sync_reference.py``) on seeded random weights with
the official key layout and seeded inputs: pretraining losses, masks and
reconstructions under the stored masking noise, retrieval embeddings,
finetuning logits, and the retrieval protocol's similarities and recalls.
Here the same weights go through this package's checkpoint conversion into
this package's models, and every output must agree within 1e-4.
"""
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from cavmae_mm.checkpoint import official_to_mm
from cavmae_mm.evaluation.functional import (frame_similarity, recall_at_k,
                                             retrieval_ranks)
from cavmae_mm.models.layers import unpatchify
from cavmae_mm.registry import MODELS
from tests.reference.official_state import random_official_state, seeded_inputs

FIXTURE = Path(__file__).resolve().parents[1] / 'data' / 'sync_reference.pt'
CASES = torch.load(FIXTURE, weights_only=True)['cases']
RTOL = 1e-4


def cases_of(kind, failing=False):
    return [
        name for name, case in CASES.items()
        if case['model'] == kind and ('error' in case) == failing
    ]


def assert_close(ours, ref, rtol=RTOL):
    ours, ref = torch.as_tensor(ours).float(), torch.as_tensor(ref).float()
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = ref.abs().max().clamp_min(1e-6)
    assert (ours - ref).abs().max() / scale < rtol


def assert_matches(ours, case, name):
    """Compares with an output stored whole, or with the digest of a large
    one (every stride-th value, the sum and the absolute sum)."""
    if name in case['outputs']:
        assert_close(ours, case['outputs'][name])
        return
    digest = case['digests'][name]
    flat = ours.reshape(-1).double()
    assert tuple(ours.shape) == tuple(digest['shape'])
    assert_close(flat[::digest['stride']], digest['values'])
    assert abs(float(flat.abs().sum()) - float(digest['abs_sum'])) <= \
        RTOL * float(digest['abs_sum'])


def encoder_cfg(kw):
    depth = 12
    return dict(
        type='CAVMAESyncEncoder',
        target_length=kw['audio_length'],
        num_mel_bins=128,
        frame_size=kw['img_size'],
        embed_dim=kw['embed_dim'],
        depth=depth,
        modality_specific_depth=kw['modality_specific_depth'],
        num_heads=kw['num_heads'],
        num_register_tokens=kw.get('num_register_tokens', 4),
        global_tokens=kw.get('cls_token', False),
        keep_register_tokens=kw.get('keep_register_tokens', False),
        trainable_pos_embed=kw.get('tr_pos', False))


def pretrain_cfg(kw):
    global_local = kw.get('global_local_losses', False)
    pooling = 'mean' if not kw.get('cls_token') else \
        'global_local' if global_local else 'global'
    return dict(
        type='CAVMAE',
        backbone=dict(
            encoder_cfg(kw),
            contrastive_depth=2 if kw.get('contrastive_heads', True) else 0),
        neck=dict(
            type='CAVMAEDecoder',
            target_length=kw['audio_length'],
            num_mel_bins=128,
            frame_size=kw['img_size'],
            embed_dim=kw['embed_dim'],
            decoder_embed_dim=kw['decoder_embed_dim'],
            depth=kw['decoder_depth'],
            num_heads=kw['decoder_num_heads']),
        reconstruction_head=dict(
            type='CAVMAEReconstructionHead', norm_pix=False),
        contrastive_head=dict(type='CAVMAEContrastiveHead', pooling=pooling))


def finetune_cfg(kw, mode):
    dim = kw['embed_dim']
    if kw['aggregate'] == 'self_attention_cls':
        head = dict(
            type='CAVMAEFrameAttentionHead',
            num_classes=kw['label_dim'],
            in_channels=2 * dim if kw['mode'] == 'multimodal' else dim,
            num_frames=kw['total_frame'],
            num_heads=kw['num_heads'])
    else:
        head = dict(
            type='CAVMAEClsHead', num_classes=kw['label_dim'], in_channels=dim)
    return dict(
        type='CAVMAESyncRecognizer',
        backbone=dict(encoder_cfg(kw), contrastive_depth=0),
        cls_head=head,
        modality=mode)


def build(case, cfg):
    """Our model holding the case's official weights (converted)."""
    official = random_official_state(case['shapes'], case['seed_state'])
    converted, _, dropped = official_to_mm(official)
    assert not dropped
    model = MODELS.build(cfg)
    model.load_state_dict(converted, strict=True)
    return model.eval()


def inputs_of(case):
    spec = case['inputs']
    audio, imgs = seeded_inputs(spec['num_samples'], spec['target_length'],
                                spec['seed'])
    return dict(audios=audio, imgs=imgs)


@pytest.mark.parametrize('name', cases_of('pretrain'))
def test_pretraining_matches_official(name):
    case = CASES[name]
    kw = case['kwargs']
    model = build(case, pretrain_cfg(kw))
    model.audio_mask_mode = case['forward']['mask_mode']
    inputs = inputs_of(case)
    out = case['outputs']
    noise = dict(audios=out['noise_a'], imgs=out['noise_v'])
    loss_inputs = inputs
    if case['forward']['mode'] == 'eval':
        # their evaluation mode: whole videos of total_frame consecutive
        # frame-segment pairs, here given as clips [B, N, ...]
        loss_inputs = {
            key: value.unflatten(0, (-1, kw['total_frame']))
            for key, value in inputs.items()
        }
    with torch.no_grad():
        random.seed(case['noise_seed'])  # the structured modes' draws
        losses = model(loss_inputs, mode='loss', noise=noise)
        random.seed(case['noise_seed'])
        recon = model.reconstruct(inputs, noise=noise)
        paths = model.backbone(
            inputs['audios'], inputs['imgs'], paths=('audio', 'visual')).paths
    audio, visual = paths['audio'], paths['visual']
    assert_close(losses['loss_c'], out['loss_c'])
    assert_close(losses['acc_c'], out['c_acc'])
    if kw.get('global_local_losses'):
        assert_close(losses['nce_global'], out['global_loss_c'])
        assert_close(losses['nce_local'], out['local_loss_c'])
    # retrieval embeddings (their forward_feat): the global tokens, and the
    # other tokens after the modality norms
    glob = int(kw.get('cls_token', False))
    if glob:
        assert_close(audio[:, 0], out['feat_cls_a'])
        assert_close(visual[:, 0], out['feat_cls_v'])
    if kw.get('keep_register_tokens'):
        # their joint path cuts the registers at the unmasked patch count:
        # the decoder's tokens are mixed up (see docs/sync.md); the
        # contrastive side is right and matches
        assert 'feat_ca' in out and out['feat_ca'].shape[1] == \
            audio.shape[1] - glob + kw['num_register_tokens']
        return
    assert_matches(audio[:, glob:], case, 'feat_ca')
    assert_matches(visual[:, glob:], case, 'feat_cv')
    for ours, theirs in (('loss_mae_a', 'loss_mae_a'), ('loss_mae_v',
                                                        'loss_mae_v')):
        assert_close(losses[ours], out[theirs])
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert_close(total, out['loss'])
    assert torch.equal(recon['mask_a'], out['mask_a'])
    assert torch.equal(recon['mask_v'], out['mask_v'])
    grid_a = model.backbone.geometry.audio_grid
    grid_v = model.backbone.geometry.visual_grid
    recon_a = unpatchify(recon['pred_a'], 1, *grid_a, 16).permute(0, 2, 3, 1)
    recon_v = unpatchify(recon['pred_v'], 3, *grid_v, 16).permute(0, 2, 3, 1)
    assert_matches(recon_a, case, 'recon_a')
    assert_matches(recon_v, case, 'recon_v')


def test_structured_masking_of_a_segment_fails_there_and_runs_here():
    """Their structured masking assumes 64 time columns (10 s clips) and
    fails on a 416-frame segment; here it masks the segment's own 26
    columns."""
    case = CASES['pretrain_time_416']
    assert case['error'].startswith('AssertionError')
    model = build(case, pretrain_cfg(case['kwargs']))
    model.audio_mask_mode = 'time'
    inputs = inputs_of(case)
    out = case['outputs']
    random.seed(0)
    with torch.no_grad():
        recon = model.reconstruct(
            inputs, noise=dict(audios=out['noise_a'], imgs=out['noise_v']))
    freq, time = model.backbone.geometry.audio_grid
    assert (freq, time) == (8, 26)
    columns = recon['mask_a'].view(-1, freq, time).amin(dim=1)
    assert (columns.sum(dim=1) == int(time * 0.75)).all()


FT_MODES = {
    'multimodal': 'audio_visual',
    'audioonly': 'audio',
    'videoonly': 'visual',
    'missingaudioonly': 'audio_without_visual',
    'missingvideoonly': 'visual_without_audio',
}


@pytest.mark.parametrize(
    'name',
    [n for n in cases_of('finetune') if CASES[n]['forward']['mode'] != 'av'])
def test_finetuning_logits_match_official(name):
    case = CASES[name]
    kw = case['kwargs']
    model = build(case, finetune_cfg(kw, FT_MODES[case['forward']['mode']]))
    inputs = inputs_of(case)
    frames = kw['total_frame']
    clips = {k: v.unflatten(0, (-1, frames)) for k, v in inputs.items()}
    with torch.no_grad():
        logits = model(clips, mode='tensor')
    assert_close(logits, case['outputs']['logits'])


def test_finetuned_retrieval_features_match_official():
    case = CASES['ft_feat_av']
    model = build(case, finetune_cfg(case['kwargs'], 'audio_visual'))
    inputs = inputs_of(case)
    with torch.no_grad():
        out = model.backbone(
            inputs['audios'], inputs['imgs'], paths=('audio', 'visual'))
    assert_matches(out.paths['audio'], case, 'feat_a')
    assert_matches(out.paths['visual'], case, 'feat_v')


def test_audio_visual_per_frame_head_runs_where_the_official_fails():
    """Their aggregate='None' multimodal path averages the [2D] global
    tokens to one number and fails in LayerNorm(D); here it classifies
    the mean of the joint path's tokens (docs/sync.md)."""
    case = CASES['ft_none_multimodal']
    assert 'normalized_shape' in case['error']
    kw = case['kwargs']
    model = build(case, finetune_cfg(kw, 'audio_visual'))
    inputs = inputs_of(case)
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
        joint = model.backbone(
            inputs['audios'], inputs['imgs'], paths=('joint', )).paths
    assert logits.shape == (kw_samples(case), kw['label_dim'])
    assert_close(logits, model.cls_head(joint['joint'].mean(dim=1)))


def kw_samples(case):
    return case['inputs']['num_samples']


@pytest.mark.parametrize('name', ['retrieval', 'retrieval_matched'])
def test_retrieval_protocol_matches_official(name):
    case = CASES[name]
    spec = case['inputs']
    gen = torch.Generator().manual_seed(spec['seed'])
    shape = (spec['num_clips'], spec['num_frames'], spec['dim'])
    audio = torch.randn(shape, generator=gen)
    visual = torch.randn(shape, generator=gen)
    if spec['matched_noise'] is not None:
        visual = audio + spec['matched_noise'] * visual
    for strategy in ('diagonal_mean', 'diagonal_max', 'mean', 'max'):
        sim = frame_similarity(audio, visual, strategy)
        assert_close(sim, case['outputs'][f'sim_audio_{strategy}'])
        assert_close(sim.t(), case['outputs'][f'sim_video_{strategy}'])
        for direction, matrix in (('audio', sim), ('video', sim.t())):
            ours = recall_at_k(retrieval_ranks(matrix.numpy()))
            theirs = case['metrics'][f'{direction}_{strategy}']
            for k in (1, 5, 10):
                assert ours[f'R@{k}'] == pytest.approx(100 * theirs[f'R{k}'])
            assert ours['MedR'] == pytest.approx(float(theirs['MR']))
    assert np.isfinite(sim.numpy()).all()
