"""adapt_to_machine: CPU fallbacks announced in one line, and on a GPU the
config as written (decided from what torch reports, so testable here by
patching those reports)."""
import pytest
import torch

from cavmae_mm.config import load_config
from cavmae_mm.config import run as run_config

ROOT_CFG = 'configs/cavmae-ft_as20k.py'


@pytest.fixture
def cfg():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    return load_config(str(root / ROOT_CFG))


@pytest.mark.parametrize('native_bf16', [True, False])
def test_cpu_fallbacks(cfg, monkeypatch, native_bf16):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(run_config, 'cpu_has_native_bf16', lambda: native_bf16)
    run_config.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.type == ('AutocastOptimWrapper'
                                      if native_bf16 else 'OptimWrapper')
    assert cfg.optim_wrapper.get('dtype') == ('bfloat16'
                                              if native_bf16 else None)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.optim_wrapper.optimizer.get('fused') is None


def test_cpu_fp16_request_falls_back_to_fp32(cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(run_config, 'cpu_has_native_bf16', lambda: True)
    cfg.optim_wrapper.dtype = 'float16'
    run_config.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'dtype' not in cfg.optim_wrapper


def test_autocast_optim_wrapper_autocasts_the_forward():
    from cavmae_mm.registry import OPTIM_WRAPPERS
    model = torch.nn.Linear(4, 3)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='AutocastOptimWrapper',
            dtype='bfloat16',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    wrapper.update_params(out.float().square().sum())
    assert model.weight.dtype == torch.float32
    assert not torch.equal(model.weight, before)
    with pytest.raises(ValueError, match='dtype'):
        OPTIM_WRAPPERS.build(
            dict(
                type='AutocastOptimWrapper',
                dtype='int8',
                optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))


@pytest.mark.parametrize('bf16', [True, False])
def test_gpu_runs_the_config_as_written(cfg, monkeypatch, bf16):
    """The official fp16 AMP and plain Adam, whatever the GPU supports."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)
    before = cfg.to_dict()
    run_config.adapt_to_machine(cfg)
    assert cfg.to_dict() == before
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.get('dtype') is None
    assert cfg.optim_wrapper.optimizer.get('fused') is None


def test_cpu_changes_are_one_line_naming_the_keys(cfg, monkeypatch):
    from tests.helpers import logged_lines
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(run_config, 'cpu_has_native_bf16', lambda: False)
    cfg.launcher = 'pytorch'
    with logged_lines() as lines:
        run_config.adapt_to_machine(cfg)
    (line, ) = [x for x in lines if 'no CUDA' in x]
    for key in ('env_cfg.dist_cfg.backend nccl -> gloo', 'model_wrapper_cfg',
                'optim_wrapper.type AmpOptimWrapper -> OptimWrapper'):
        assert key in line


def test_gpu_keeps_explicit_choices(cfg, monkeypatch):
    """bf16 and the fused Adam kernel are the user's options."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg.optim_wrapper.dtype = 'bfloat16'
    cfg.optim_wrapper.optimizer.fused = True
    run_config.adapt_to_machine(cfg)
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.fused is True


def test_distributed_body_is_collected_before_the_group_ends(monkeypatch):
    """MMEngine's runner lives in reference cycles; left to interpreter
    shutdown, its DDP wrapper releases the gloo group there and the process
    aborts at random (SIGABRT). The body's garbage is collected while the
    group still exists, then the group is destroyed."""
    import socket
    import weakref

    import torch.distributed as dist
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    events = []

    class Holder:  # a cycle, as MMEngine's runner and its hooks form
        pass

    def body():
        holder = Holder()
        holder.me = holder
        weakref.finalize(
            holder, lambda: events.append(
                ('collected', dist.is_initialized())))

    import gc
    gc.disable()  # no collection by chance in between
    try:
        with run_config.cpu_distributed('pytorch') as started:
            assert started and dist.get_world_size() == 1
            body()
        events.append(('ended', dist.is_initialized()))
    finally:
        gc.enable()
    assert events == [('collected', True), ('ended', False)]
