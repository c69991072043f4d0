"""Configs as every tool and API loads them: a file, a model-zoo name or a
``Config``, with ``--cfg-options`` overrides.

The tools parse their arguments with the standard library only (so that
``--help`` answers before torch is imported; their shared command line is
``tools/cli_common.py``) and keep ``--cfg-options`` as the raw
``KEY=VALUE`` strings; :func:`parse_cfg_options` reads them as MMEngine's
``DictAction`` does.

Loading hands the config's ``input_geometry`` to the parts that take it
(:mod:`cavmae_mm.config.input_geometry`).
"""
import argparse
from pathlib import Path
from typing import Optional, Sequence, Union

from mmengine.config import Config, DictAction

from cavmae_mm.checkpoint.model_zoo import resolve_config
from .input_geometry import fill_input_geometry


def parse_cfg_options(items: Optional[Sequence[str]]) -> dict:
    """``KEY=VALUE`` strings as a dict of overrides (values parsed as
    MMEngine's ``DictAction`` parses them: numbers, lists, tuples, ...).

    Raises:
        ValueError: An item without ``=`` (the message names it).
    """
    if not items:
        return {}
    for item in items:
        if '=' not in item or item.startswith('='):
            raise ValueError(f'--cfg-options takes KEY=VALUE items, got '
                             f'{item!r}')
    namespace = argparse.Namespace()
    action = DictAction(option_strings=['--cfg-options'], dest='options')
    action(argparse.ArgumentParser(), namespace, list(items))
    return namespace.options


def load_config(config: Union[str, Path, Config],
                cfg_options: Optional[dict] = None) -> Config:
    """The one way a config is loaded (tools, APIs, training runs): a file,
    a model-zoo name (an entry of ``configs/metafile.yml`` or its official
    name) or a ``Config``, with the overrides merged.

    Loading a file imports the config's ``custom_imports`` (``cavmae_mm``).

    Raises:
        FileNotFoundError: No such config file.
        ValueError: A name that is no model-zoo entry.
        TypeError: Neither a path, a name nor a ``Config``.
        Exception: What MMEngine raises for a config it cannot parse.
    """
    if isinstance(config, (str, Path)):
        path, _ = resolve_config(str(config))
        config = Config.fromfile(str(path))
    elif not isinstance(config, Config):
        raise TypeError('config must be a file path, a model name or a '
                        f'Config, got {type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return fill_input_geometry(config)
