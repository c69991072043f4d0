"""Loads a run's config and adapts it to the machine it runs on."""
import contextlib
import logging
import os.path as osp
from typing import Iterator, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from .loading import load_config


def load_run_config(config: str,
                    cfg_options: Optional[dict] = None,
                    launcher: str = 'none',
                    work_dir: Optional[str] = None) -> Config:
    """The config of a ``tools/train.py`` / ``tools/test.py`` run: the file,
    the ``--cfg-options`` overrides (:func:`load_config`), the launcher,
    and the work dir (given, the config's, or ``work_dirs/<config
    name>``)."""
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(config))[0])
    return cfg


def adapt_to_machine(cfg: Config) -> Config:
    """Lets a GPU recipe run on a machine without CUDA; on a CUDA machine
    the config runs as written.

    Without CUDA: NCCL becomes gloo, DistributedDataParallel gets no device
    ids (so ``tools/dist_train.sh`` works with CPU processes), and the
    ``AmpOptimWrapper`` (MMEngine's needs a GPU) becomes
    ``AutocastOptimWrapper`` with bf16 on a CPU with native bf16, a plain
    fp32 ``OptimWrapper`` elsewhere (or when the config asks for fp16). One
    printed line names every changed key and why.
    """
    if torch.cuda.is_available():
        return cfg
    changes = []
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    if dist_cfg.get('backend') == 'nccl':
        cfg.env_cfg.dist_cfg.backend = 'gloo'
        changes.append('env_cfg.dist_cfg.backend nccl -> gloo')
    if cfg.get('launcher', 'none') != 'none' and \
            cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False)
        changes.append('model_wrapper_cfg = DDP without device ids')
    wrapper = cfg.get('optim_wrapper')
    if wrapper is not None and wrapper.get('type') == 'AmpOptimWrapper':
        wrapper.pop('loss_scale', None)
        dtype = wrapper.pop('dtype', None)
        if dtype in (None, 'bfloat16') and cpu_has_native_bf16():
            wrapper.type = 'AutocastOptimWrapper'
            wrapper.dtype = 'bfloat16'
            changes.append('optim_wrapper.type AmpOptimWrapper -> '
                           'AutocastOptimWrapper, dtype bfloat16 (this '
                           "CPU's native bf16 units)")
        else:
            wrapper.type = 'OptimWrapper'
            changes.append('optim_wrapper.type AmpOptimWrapper -> '
                           'OptimWrapper (fp32)')
    if changes:
        print_log(
            'no CUDA (AmpOptimWrapper and NCCL need a GPU), changed: ' +
            '; '.join(changes),
            logger='current',
            level=logging.WARNING)
    return cfg


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), where
    bf16 autocast is about twice as fast as fp32 for CAV-MAE."""
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def build_runner(cfg: Config):
    """The runner a config asks for, built as MMAction2's tools build it:
    ``runner_type`` from the registry (every config of this package selects
    ``CAVMAERunner``), otherwise MMEngine's ``Runner``."""
    if 'runner_type' in cfg:
        from cavmae_mm.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


@contextlib.contextmanager
def cpu_distributed(launcher: str) -> Iterator[bool]:
    """Runs the body in a process group that is shut down in order.

    MMEngine 0.10.7's pytorch launcher calls ``torch.cuda.set_device``
    unconditionally, which fails on a machine without CUDA. The runner skips
    its own initialisation when a process group already exists, so on such
    a machine the tools start a gloo group here, from torchrun's
    environment.

    At the end of a distributed body (whoever started the group) the
    shutdown runs while the interpreter is fully alive, in this order:
    garbage collection (the body must have dropped its runner: its data
    loader workers stop and the DDP wrapper releases the group and the
    tensors of its communication work), a barrier (no rank leaves while
    another still communicates), and the destruction of every group. A gloo
    group left to interpreter shutdown aborts the process at random
    (``terminate called without an active exception``, SIGABRT) after the
    results are written.

    Yields:
        bool: Whether a process group was started here.
    """
    import gc

    import torch.distributed as dist
    started = launcher == 'pytorch' and not torch.cuda.is_available() and \
        not dist.is_initialized()
    if started:
        dist.init_process_group(backend='gloo')
        print_log(
            f'no CUDA: started a gloo process group (rank '
            f'{dist.get_rank()} of {dist.get_world_size()})',
            logger='current')
    try:
        yield started
    finally:
        if launcher != 'none' and dist.is_initialized():
            gc.collect()
            dist.barrier()
            dist.destroy_process_group()
