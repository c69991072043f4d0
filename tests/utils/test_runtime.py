"""adapt_to_machine: CPU fallbacks, and the fast GPU defaults (decided from
what torch reports, so testable here by patching those reports)."""
import pytest
import torch
from mmengine.config import Config

from cavmae_mm.utils import runtime

ROOT_CFG = 'configs/cavmae-ft_as20k.py'


@pytest.fixture
def cfg():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    return Config.fromfile(str(root / ROOT_CFG))


def test_cpu_fallbacks(cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    runtime.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.optim_wrapper.optimizer.get('fused') is None


@pytest.mark.parametrize('bf16', [True, False])
def test_gpu_defaults(cfg, monkeypatch, bf16):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)
    runtime.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.get('dtype') == ('bfloat16' if bf16 else None)
    assert cfg.optim_wrapper.optimizer.fused is True
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'


def test_gpu_defaults_respect_explicit_choices(cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    cfg.optim_wrapper.dtype = 'float16'
    cfg.optim_wrapper.optimizer.fused = False
    runtime.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.dtype == 'float16'
    assert cfg.optim_wrapper.optimizer.fused is False
