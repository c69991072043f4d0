"""The pretraining model: losses, branches, masks, modes, a train step."""
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper

from tests.helpers import (logged_lines, seed_all, tiny_inputs,
                           tiny_pretrain_cfg)


@pytest.fixture
def model(build):
    m = build(tiny_pretrain_cfg())
    m.init_weights()
    return m


def test_loss_entries_and_total(model):
    seed_all(0)
    losses = model(tiny_inputs(), mode='loss')
    assert set(losses) == {'loss_mae_a', 'loss_mae_v', 'loss_c', 'acc_c'}
    assert all(v.dim() == 0 for v in losses.values())
    assert 0 <= losses['acc_c'].item() <= 1


def test_zero_weight_skips_its_branch(build):
    calls = []
    cfg = tiny_pretrain_cfg()
    cfg['reconstruction_head']['loss_weight'] = 0.0
    m = build(cfg)
    m.neck.register_forward_hook(lambda *a: calls.append('neck'))
    losses = m(tiny_inputs(), mode='loss')
    assert set(losses) == {'loss_c', 'acc_c'} and not calls

    cfg = tiny_pretrain_cfg()
    cfg['contrastive_head']['loss_weight'] = 0.0
    losses = build(cfg)(tiny_inputs(), mode='loss')
    assert set(losses) == {'loss_mae_a', 'loss_mae_v'}

    cfg['reconstruction_head']['loss_weight'] = 0.0
    with pytest.raises(ValueError, match='both loss weights are 0'):
        build(cfg)


def test_explicit_noise_reproduces_the_seeded_draw(model):
    """Without noise the model draws torch.rand(B, La) then (B, Lv)."""
    inputs = tiny_inputs(batch=3)
    seed_all(5)
    drawn = model(inputs, mode='loss')
    torch.manual_seed(5)
    noise = dict(audios=torch.rand(3, 8), imgs=torch.rand(3, 4))
    given = model(inputs, mode='loss', noise=noise)
    for key in drawn:
        assert torch.equal(drawn[key], given[key])
    other = model(
        inputs,
        mode='loss',
        noise=dict(audios=1 - noise['audios'], imgs=noise['imgs']))
    assert not torch.equal(drawn['loss_mae_a'], other['loss_mae_a'])


def test_reconstruct_returns_predictions_and_masks(model):
    out = model.reconstruct(tiny_inputs())
    assert out['pred_a'].shape == (2, 8, 256)
    assert out['pred_v'].shape == (2, 4, 768)
    assert torch.equal(out['mask_a'].sum(1), torch.full((2, ), 6.0))


def test_tensor_and_predict_modes(model):
    model.eval()
    inputs = tiny_inputs()
    audio, visual = model(inputs, mode='tensor')
    assert audio.shape == (2, 8, 32) and visual.shape == (2, 4, 32)
    samples = model(
        inputs, [ActionDataSample(), ActionDataSample()], mode='predict')
    assert torch.allclose(samples[0].audio_feature, audio[0].mean(0))
    assert torch.allclose(samples[1].visual_feature, visual[1].mean(0))
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(inputs, mode='features')


def test_mask_ratio_must_be_positive_for_reconstruction(build):
    with pytest.raises(ValueError, match='mask ratios > 0'):
        build(tiny_pretrain_cfg(mask_ratio_v=0.0))


def test_train_step_reduces_the_loss(model):
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=dict(
            audios=[torch.randn(64, 32, generator=gen) for _ in range(4)],
            imgs=[
                torch.randint(
                    0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8)
                for _ in range(4)
            ]),
        data_samples=[ActionDataSample() for _ in range(4)])
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    model.train()
    history = []
    for _ in range(40):
        seed_all(0)  # the same masks each step: the loss must fall
        log = model.train_step(data, wrapper)
        history.append(log['loss'].item())
    assert history[-1] < 0.8 * history[0]


def test_more_than_one_shared_block_is_flagged(build):
    """The official contrastive paths do not chain shared blocks; with one
    (every release) that is the same, with more it is not: say so."""
    with logged_lines() as lines:
        build(tiny_pretrain_cfg())  # 1 shared block: nothing said
        assert not any('shared blocks' in ln for ln in lines)
        cfg = tiny_pretrain_cfg()
        cfg['backbone']['modality_specific_depth'] = 1  # 2 shared blocks
        build(cfg)
    (line, ) = [ln for ln in lines if 'shared blocks' in ln]
    assert line.startswith('2 shared blocks') and 'official' in line


def test_mask_ratio_range_draws_per_iteration(build):
    """CAV-MAE Sync's multi-ratio masking: each training iteration draws its
    audio and visual ratios in the range, the same on every rank (two
    models) and after a resume (the runner's iteration), whatever torch's
    global generator did; evaluation keeps the fixed ratios."""
    from mmengine.logging import MessageHub
    models = [
        build(tiny_pretrain_cfg(mask_ratio_range=(0.6, 0.9))) for _ in range(2)
    ]
    hub = MessageHub.get_current_instance()
    seen = []
    try:
        for step in (0, 1, 2, 1):
            hub.update_info('iter', step)
            torch.manual_seed(step + 100)
            pairs = [m.train().step_mask_ratios() for m in models]
            assert pairs[0] == pairs[1]
            assert all(0.6 <= r < 0.9 for r in pairs[0])
            seen.append(pairs[0])
    finally:
        hub.pop_info('iter')
    assert seen[1] == seen[3] and len(set(seen[:3])) == 3
    assert models[0].eval().step_mask_ratios() == (0.75, 0.75)
    losses = models[0].train()(tiny_inputs(batch=2), mode='loss')
    assert torch.isfinite(losses['loss_mae_a'])
    with pytest.raises(ValueError, match='mask_ratio_range'):
        build(tiny_pretrain_cfg(mask_ratio_range=(0.9, 0.6)))


def test_clips_of_mismatched_frames_are_refused(model):
    inputs = dict(
        audios=torch.zeros(2, 3, 64, 128), imgs=torch.zeros(2, 4, 3, 32, 32))
    with pytest.raises(ValueError, match='go with frames'):
        model(inputs, mode='loss')
