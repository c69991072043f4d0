"""The FLOP formulas against torch.utils.flop_counter on real forwards."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from cavmae_mm.models.flops import (encoder_flops, model_flops,
                                    parameter_counts, pretrain_flops,
                                    recognizer_flops)
from cavmae_mm.models.layers import set_fused_attention
from cavmae_mm.models.modality import MODALITY_PATHS
from tests.helpers import tiny_inputs, tiny_pretrain_cfg, tiny_recognizer_cfg


def counted(model, inputs, mode):
    # the math path spells attention out as matrix products the counter
    # sees on every backend
    set_fused_attention(model, False)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(inputs, mode=mode)
    return counter.get_total_flops()


@pytest.mark.parametrize('overrides', [
    {},
    dict(mask_ratio_a=0.5, mask_ratio_v=0.6),
    dict(contrastive_head=dict(type='CAVMAEContrastiveHead', loss_weight=0.0)),
])
def test_pretrain_forward_flops(build, overrides):
    model = build(tiny_pretrain_cfg(**overrides))
    model.train()
    batch = 3
    formula = pretrain_flops(model, batch)
    assert counted(model, tiny_inputs(batch), 'loss') == \
        formula['forward'] * batch
    assert formula['train_step'] == 3 * formula['forward']


@pytest.mark.parametrize('modality', sorted(MODALITY_PATHS))
def test_recognizer_forward_flops(build, modality):
    model = build(tiny_recognizer_cfg(num_classes=7, modality=modality))
    model.eval()
    batch = 2
    assert counted(model, tiny_inputs(batch), 'tensor') == \
        recognizer_flops(model)['forward'] * batch


def test_full_size_numbers():
    """The full-size multimodal finetuning forward against a hand count:
    24 N D^2 + 4 N^2 D per block, the two patch embeddings and the head."""
    from cavmae_mm.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(
            dict(
                type='CAVMAERecognizer',
                backbone=dict(type='CAVMAEEncoder'),
                cls_head=dict(
                    type='CAVMAEClsHead', num_classes=527, in_channels=768)))
    d, na, nv = 768, 512, 196
    block = lambda n: 24 * n * d * d + 4 * n * n * d  # noqa: E731
    hand = (2 * na * 256 * d + 2 * nv * 768 * d + 11 * block(na) +
            11 * block(nv) + block(na + nv) + 2 * d * 527)
    assert recognizer_flops(model)['forward'] == hand


def test_model_flops_lists_every_use(build):
    """The rows of tools/analysis_tools/get_flops.py: the formulas above,
    every modality of a recognizer with its own modality kept."""
    pretrainer = build(tiny_pretrain_cfg())
    rows = model_flops(pretrainer, batch_size=3)
    assert rows[0].forward == pretrain_flops(pretrainer, 3)['forward']
    assert [r.name for r in rows[1:]] == [
        f'encoder {p} path, unmasked' for p in ('audio', 'visual', 'joint')
    ]
    assert rows[3].forward == encoder_flops(
        pretrainer.backbone, pretrainer.backbone.geometry.num_audio_patches,
        pretrainer.backbone.geometry.num_visual_patches, ('joint', ))
    assert all(r.train_step is None for r in rows[1:])

    recognizer = build(tiny_recognizer_cfg(modality='audioonly'))
    trainable = [
        n for n, p in recognizer.named_parameters() if p.requires_grad
    ]
    rows = model_flops(recognizer)
    assert rows[0].name == 'audio (config)'
    assert {r.name.split()[0] for r in rows} == set(MODALITY_PATHS)
    assert recognizer.modality == 'audio'
    assert trainable == [
        n for n, p in recognizer.named_parameters() if p.requires_grad
    ]
    with pytest.raises(TypeError, match='no FLOP formula'):
        model_flops(torch.nn.Linear(2, 2))


def test_parameter_counts_split_the_encoder(build):
    model = build(tiny_recognizer_cfg(modality='videoonly'))
    counts = parameter_counts(model)
    assert counts['total']['total'] == sum(p.numel()
                                           for p in model.parameters())
    assert sum(c['total'] for k, c in counts.items() if k != 'total') == \
        counts['total']['total']
    audio = sum(p.numel() for n, p in model.backbone.named_parameters()
                if n.split('.')[0].endswith('_a'))
    assert counts['backbone (audio)'] == dict(total=audio, trainable=0)
    assert counts['cls_head']['trainable'] == counts['cls_head']['total']


def tiny_sync_encoder(**overrides):
    from tests.helpers import TINY_ENCODER
    sync = dict(
        type='CAVMAESyncEncoder', num_register_tokens=2, contrastive_depth=1)
    return dict(TINY_ENCODER, **dict(sync, **overrides))


@pytest.mark.parametrize('overrides', [{}, dict(keep_register_tokens=True)])
def test_sync_pretrain_forward_flops(build, overrides):
    """Global, register (kept or not) tokens and the contrastive blocks."""
    model = build(
        tiny_pretrain_cfg(
            backbone=tiny_sync_encoder(**overrides),
            contrastive_head=dict(
                type='CAVMAEContrastiveHead', pooling='global_local')))
    model.train()
    batch = 3
    assert counted(model, tiny_inputs(batch), 'loss') == \
        pytest.approx(pretrain_flops(model, batch)['forward'] * batch)


@pytest.mark.parametrize('head,modality', [
    ('frames', 'audio_visual'),
    ('frames', 'audio'),
    ('frame', 'audio_visual'),
    ('frame', 'visual'),
    ('frame', 'audio_without_visual'),
])
def test_sync_recognizer_forward_flops(build, head, modality):
    """Per frame, with a frame-attention head's share per frame."""
    frames, width = 2, 32
    cls_head = dict(
        type='CAVMAEFrameAttentionHead',
        num_classes=7,
        in_channels=2 * width if modality == 'audio_visual' else width,
        num_frames=frames,
        num_heads=2) if head == 'frames' else dict(
            type='CAVMAEClsHead', num_classes=7, in_channels=width)
    model = build(
        dict(
            type='CAVMAESyncRecognizer',
            backbone=tiny_sync_encoder(contrastive_depth=0),
            cls_head=cls_head,
            modality=modality))
    model.eval()
    inputs = {
        k: v.unflatten(0, (-1, frames))
        for k, v in tiny_inputs(2 * frames).items()
    }
    assert counted(model, inputs, 'tensor') == \
        pytest.approx(recognizer_flops(model)['forward'] * 2 * frames)
