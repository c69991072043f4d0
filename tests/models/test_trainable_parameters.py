"""Exactly the parameters a configuration uses are trainable (what
DistributedDataParallel needs without find_unused_parameters)."""
import pytest

from cavmae_mm.models.recognizers import MODALITY_PATHS
from tests.helpers import (seed_all, tiny_inputs, tiny_pretrain_cfg,
                           tiny_recognizer_cfg)


def grads_match_requires_grad(model, loss):
    model.zero_grad()
    loss.backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == param.requires_grad, name


@pytest.mark.parametrize('mae,contrastive', [(1.0, 0.01), (0.0, 0.01),
                                             (1.0, 0.0)])
def test_pretrainer(build, mae, contrastive):
    cfg = tiny_pretrain_cfg()
    cfg['reconstruction_head']['loss_weight'] = mae
    cfg['contrastive_head']['loss_weight'] = contrastive
    model = build(cfg)
    model.init_weights()
    seed_all(0)
    losses = model(tiny_inputs(), mode='loss')
    grads_match_requires_grad(
        model, sum(v for k, v in losses.items() if k.startswith('loss')))


@pytest.mark.parametrize('modality', list(MODALITY_PATHS))
def test_recognizer(build, modality):
    model = build(tiny_recognizer_cfg(modality=modality))
    model.init_weights()
    grads_match_requires_grad(model, model(tiny_inputs(), mode='tensor').sum())
    before = {n for n, p in model.named_parameters() if p.requires_grad}
    model.modality = 'multimodal'  # the forward pass only
    assert before == {
        n
        for n, p in model.named_parameters() if p.requires_grad
    }
    model.train_modality_paths()  # explicitly: the trainable set follows
    grads_match_requires_grad(model, model(tiny_inputs(), mode='tensor').sum())


def test_linear_probe_trains_only_the_head(build):
    model = build(tiny_recognizer_cfg(freeze_backbone=True))
    model.init_weights()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {
        'cls_head.norm.weight', 'cls_head.norm.bias', 'cls_head.fc.weight',
        'cls_head.fc.bias'
    }
    grads_match_requires_grad(model, model(tiny_inputs(), mode='tensor').sum())
