"""Configs as the analysis tools load them: a file or a model-zoo name,
with ``--cfg-options`` overrides.

The tools parse their arguments with the standard library only (so that
``--help`` answers before torch is imported) and keep ``--cfg-options`` as
the raw ``KEY=VALUE`` strings; :func:`parse_cfg_options` reads them as
MMEngine's ``DictAction`` does.
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

from .model_zoo import resolve_config


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


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """The config of a file or model-zoo name, with overrides merged.

    Loading it imports the config's ``custom_imports`` (``cavmae_mm``).

    Raises:
        FileNotFoundError: No such config file.
        ValueError: A name that is no model-zoo entry.
        Exception: What MMEngine raises for a config it cannot parse.
    """
    path, _ = resolve_config(config)
    cfg = Config.fromfile(str(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
