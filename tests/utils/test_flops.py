"""The FLOP formulas against torch.utils.flop_counter on real forwards."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from cavmae_mm.models.layers import set_fused_attention
from cavmae_mm.models.recognizers.cavmae_recognizer import MODALITY_PATHS
from cavmae_mm.utils.flops import pretrain_flops, recognizer_flops
from tests.conftest import tiny_inputs, tiny_pretrain_cfg, tiny_recognizer_cfg


def counted(model, inputs, mode):
    # the math path spells attention out as matrix products the counter
    # sees on every backend
    set_fused_attention(model, False)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(inputs, mode=mode)
    return counter.get_total_flops()


@pytest.mark.parametrize('overrides', [
    {}, dict(mask_ratio_a=0.5, mask_ratio_v=0.6),
    dict(contrastive_head=dict(type='CAVMAEContrastiveHead',
                               loss_weight=0.0)),
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
        model = MODELS.build(dict(
            type='CAVMAERecognizer',
            backbone=dict(type='CAVMAEEncoder'),
            cls_head=dict(type='CAVMAEClsHead', num_classes=527,
                          in_channels=768)))
    d, na, nv = 768, 512, 196
    block = lambda n: 24 * n * d * d + 4 * n * n * d  # noqa: E731
    hand = (2 * na * 256 * d + 2 * nv * 768 * d + 11 * block(na) +
            11 * block(nv) + block(na + nv) + 2 * d * 527)
    assert recognizer_flops(model)['forward'] == hand
