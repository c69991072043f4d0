"""Configs: loading (a file, a model-zoo name or a ``Config``, with
overrides), the input geometry they state once, and a run's config adapted
to its machine."""
from .input_geometry import fill_input_geometry
from .loading import load_config, parse_cfg_options
from .run import (adapt_to_machine, build_runner, cpu_distributed,
                  cpu_has_native_bf16, load_run_config)

__all__ = [
    'fill_input_geometry', 'load_config', 'parse_cfg_options',
    'adapt_to_machine', 'build_runner', 'cpu_distributed',
    'cpu_has_native_bf16', 'load_run_config'
]
