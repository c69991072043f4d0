"""The finetuning recognizer: modalities, predict, frames, losses, step."""
import pytest
import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper

from cavmae_mm.models.recognizers import MODALITY_PATHS
from tests.helpers import randomize_, tiny_inputs, tiny_recognizer_cfg


def samples_with(labels):
    out = []
    for label in labels:
        sample = ActionDataSample()
        sample.set_gt_label(label)
        out.append(sample)
    return out


@pytest.mark.parametrize('modality', list(MODALITY_PATHS))
def test_logits_for_every_modality(build, modality):
    model = build(tiny_recognizer_cfg(modality=modality)).eval()
    model.init_weights()
    inputs = tiny_inputs(batch=3)
    if modality in ('audio', 'audio_without_visual'):
        inputs.pop('imgs')
    if modality in ('visual', 'visual_without_audio'):
        inputs.pop('audios')
    assert model(inputs, mode='tensor').shape == (3, 5)


def test_unknown_modality_is_rejected(build):
    with pytest.raises(ValueError, match='modality must be one of'):
        build(tiny_recognizer_cfg(modality='audiovisual'))


def test_missing_modality_averages_joint_and_own_norm_paths(build):
    model = randomize_(build(tiny_recognizer_cfg(modality='missingaudioonly')))
    inputs = tiny_inputs()
    out = model.backbone(
        inputs['audios'], None, paths=('audio_joint', 'audio'))
    feat = (out.paths['audio_joint'].mean(1) + out.paths['audio'].mean(1)) / 2
    assert torch.allclose(model(inputs, mode='tensor'), model.cls_head(feat))


def test_predict_gives_scores_and_averages_frames(build):
    cfg = tiny_recognizer_cfg()
    cfg['cls_head']['average_clips'] = 'sigmoid'
    model = randomize_(build(cfg)).eval()
    inputs = tiny_inputs(batch=2)
    frames = torch.randn(2, 3, 3, 32, 32)
    per_frame = torch.stack([
        model(dict(audios=inputs['audios'], imgs=frames[:, i]), mode='tensor')
        for i in range(3)
    ],
                            dim=1)
    samples = model(
        dict(audios=inputs['audios'], imgs=frames),
        samples_with([torch.zeros(5)] * 2),
        mode='predict')
    assert isinstance(samples[0], ActionDataSample)
    expected = per_frame.sigmoid().mean(1)
    for i, sample in enumerate(samples):
        assert torch.allclose(sample.pred_score, expected[i], atol=1e-6)


def test_bce_with_soft_targets_and_ce(build):
    model = randomize_(build(tiny_recognizer_cfg()))
    inputs = tiny_inputs(batch=2)
    soft = torch.tensor([[0.92, 0.02, 0.02, 0.02, 0.02],
                         [0.3, 0.62, 0.02, 0.02, 0.04]])
    losses = model(inputs, samples_with(list(soft)), mode='loss')
    logits = model(inputs, mode='tensor')
    assert torch.allclose(losses['loss_cls'],
                          F.binary_cross_entropy_with_logits(logits, soft))

    cfg = tiny_recognizer_cfg()
    cfg['cls_head']['loss_cls'] = dict(type='CrossEntropyLoss')
    ce_model = randomize_(build(cfg))
    losses = ce_model(inputs, samples_with(list(soft)), mode='loss')
    logits = ce_model(inputs, mode='tensor')
    assert torch.allclose(losses['loss_cls'], F.cross_entropy(logits, soft))


def test_train_step_reduces_the_loss(build):
    model = build(tiny_recognizer_cfg())
    model.init_weights()
    gen = torch.Generator().manual_seed(0)
    labels = (torch.rand(4, 5, generator=gen) > 0.5).float()
    data = dict(
        inputs=dict(
            audios=[torch.randn(64, 32, generator=gen) for _ in range(4)],
            imgs=[
                torch.randint(
                    0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8)
                for _ in range(4)
            ]),
        data_samples=samples_with(list(labels)))
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    history = [
        model.train_step(data, wrapper)['loss'].item() for _ in range(20)
    ]
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize('modality',
                         ['multimodal', 'missingvideoonly', 'videoonly'])
def test_multi_frame_test_runs_the_audio_once(build, modality):
    """The audio branch runs once per clip for its N frames: the logits
    equal those of the fbank repeated for every frame."""
    model = randomize_(build(tiny_recognizer_cfg(modality=modality))).eval()
    inputs = tiny_inputs(batch=2)
    frames = torch.randn(2, 4, 3, 32, 32)
    together = model(dict(audios=inputs['audios'], imgs=frames), mode='tensor')
    repeated = model.cls_head(
        torch.cat([
            model.extract_feat(
                dict(
                    audios=inputs['audios'][i:i + 1].repeat(4, 1, 1),
                    imgs=frames[i]))[0] for i in range(2)
        ]))
    assert together.shape == (8, 5)
    assert torch.allclose(together, repeated, atol=1e-5)
    with pytest.raises(ValueError, match='unmasked'):
        model.backbone(
            inputs['audios'], frames[:, 0], mask_ratio_a=0.5, audio_repeats=2)


def test_sync_frame_head_refuses_a_modality_of_another_width(build):
    """A Sync frame head finetuned on both modalities (2 D) given one
    modality (D features): a clear error, not a size mismatch deep in
    torch.cat."""
    from tests.helpers import TINY_ENCODER
    model = build(
        dict(
            type='CAVMAESyncRecognizer',
            backbone=dict(
                TINY_ENCODER, type='CAVMAESyncEncoder', num_register_tokens=2),
            cls_head=dict(
                type='CAVMAEFrameAttentionHead',
                num_classes=3,
                in_channels=64,
                num_frames=2,
                num_heads=2)))
    clips = {
        k: v.unflatten(0, (-1, 2))
        for k, v in tiny_inputs(batch=4).items()
    }
    assert model(clips, mode='tensor').shape == (2, 3)
    model.modality = 'audio_without_visual'
    with pytest.raises(ValueError, match='32-wide frame features'):
        model(clips, mode='tensor')
