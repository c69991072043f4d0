"""Speed options compute the same function: fused vs math attention,
activation checkpointing (values and gradients)."""
import copy

import pytest
import torch

from cavmae_mm.models.layers import set_fused_attention
from tests.helpers import (randomize_, tiny_inputs, tiny_pretrain_cfg,
                           tiny_recognizer_cfg)


def loss_and_grads(model, inputs, seed=0):
    model.zero_grad()
    torch.manual_seed(seed)
    losses = model(inputs, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }
    return total.detach(), grads


def assert_same(a, b, rtol, atol):
    loss_a, grads_a = a
    loss_b, grads_b = b
    torch.testing.assert_close(loss_a, loss_b, rtol=rtol, atol=atol)
    assert grads_a.keys() == grads_b.keys() and grads_a
    for name in grads_a:
        torch.testing.assert_close(
            grads_a[name], grads_b[name], rtol=rtol, atol=atol, msg=name)


@pytest.fixture
def pretrainer(build):
    model = randomize_(build(tiny_pretrain_cfg()))
    model.train()
    return model


def test_math_and_fused_attention_agree(pretrainer):
    inputs = tiny_inputs(batch=3)
    fused = loss_and_grads(set_fused_attention(pretrainer, True), inputs)
    math = loss_and_grads(set_fused_attention(pretrainer, False), inputs)
    assert not pretrainer.backbone.blocks_u[0].attn.fused_attn
    assert_same(fused, math, rtol=1e-4, atol=1e-5)


def test_fused_attn_config_switch(build):
    cfg = tiny_pretrain_cfg()
    cfg['backbone']['fused_attn'] = False
    cfg['neck']['fused_attn'] = False
    model = build(cfg)
    assert not any(m.fused_attn
                   for m in model.modules() if hasattr(m, 'fused_attn'))


def test_activation_checkpointing_same_values_and_gradients(build, pretrainer):
    cfg = tiny_pretrain_cfg()
    cfg['backbone']['with_cp'] = True
    cfg['neck']['with_cp'] = True
    checkpointed = build(cfg)
    checkpointed.load_state_dict(pretrainer.state_dict())
    checkpointed.train()
    inputs = tiny_inputs(batch=3)
    assert_same(
        loss_and_grads(pretrainer, inputs),
        loss_and_grads(checkpointed, inputs),
        rtol=1e-5,
        atol=1e-6)


def test_activation_checkpointing_in_the_recognizer(build):
    cfg = tiny_recognizer_cfg()
    plain = randomize_(build(copy.deepcopy(cfg)))
    cfg['backbone']['with_cp'] = True
    checkpointed = build(cfg)
    checkpointed.load_state_dict(plain.state_dict())
    inputs = tiny_inputs(batch=2)
    results = []
    for model in (plain, checkpointed):
        model.train()
        model.zero_grad()
        logits = model(inputs, mode='tensor')
        logits.square().sum().backward()
        results.append((logits.detach(), {
            n: p.grad.clone()
            for n, p in model.named_parameters() if p.grad is not None
        }))
    assert_same(*results, rtol=1e-5, atol=1e-6)
