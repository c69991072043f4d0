"""Configs as every tool and API loads them: a file, a model-zoo name or a
``Config``, with ``--cfg-options`` overrides.

The tools parse their arguments with the standard library only (so that
``--help`` answers before torch is imported; their shared command line is
``tools/cli_common.py``) and keep ``--cfg-options`` as the raw
``KEY=VALUE`` strings; :func:`parse_cfg_options` reads them as MMEngine's
``DictAction`` does.

A config states its input sizes once, in ``input_geometry``
(``target_length``, ``num_mel_bins``, ``frame_size``);
:func:`fill_input_geometry` hands them to every model part and data
transform that takes them, when the config is loaded.
"""
import argparse
import inspect
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

from mmengine.config import Config, DictAction

from cavmae_mm.checkpoint.model_zoo import resolve_config
from cavmae_mm.geometry import GEOMETRY_KEYS


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


@lru_cache(maxsize=None)
def _geometry_args(component: Any) -> Tuple[str, ...]:
    """The ``input_geometry`` names that the registered component
    ``component`` (a type name or a class) takes as arguments."""
    from cavmae_mm.registry import MODELS, TRANSFORMS
    target = component
    if isinstance(component, str):
        target = TRANSFORMS.get(component) or MODELS.get(component)
    if not callable(target):
        return ()
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return ()
    return tuple(key for key in GEOMETRY_KEYS if key in params)


def _fill(node: Any, where: str, geometry: dict) -> None:
    """Sets the geometry arguments of every component config under
    ``node``; ``where`` names ``node`` in errors."""
    if isinstance(node, dict):
        kind = node.get('type')
        if kind is not None:
            for key in _geometry_args(kind):
                if key not in geometry:
                    continue
                if key in node and node[key] != geometry[key]:
                    raise ValueError(
                        f'{where}.{key}={node[key]!r} contradicts '
                        f'input_geometry.{key}={geometry[key]!r}: state '
                        'the size once, in input_geometry')
                node[key] = geometry[key]
        for key, value in node.items():
            _fill(value, f'{where}.{key}', geometry)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            _fill(value, f'{where}[{index}]', geometry)


def fill_input_geometry(config: Config) -> Config:
    """Hands the config's ``input_geometry`` to every model part and data
    transform that takes these sizes (in place; a config without
    ``input_geometry`` is returned as it is).

    Each component config (a dict with a ``type``) whose class takes
    ``target_length``, ``num_mel_bins`` or ``frame_size`` gets the value of
    ``input_geometry``: the encoder and the decoder, ``AudioFrontEnd``,
    ``ResizeCenterCrop``, ``FbankOnDevice`` (give its ``type``), and the
    same-named arguments of any other registered part. Changing the clip
    length or the frame size of a recipe is then one value, e.g.
    ``input_geometry = dict(target_length=512)`` in a child config or
    ``--cfg-options input_geometry.target_length=512``.

    Raises:
        ValueError: An unknown key in ``input_geometry``, or a component
            that states a different value for one of its sizes (the
            message names where).
    """
    geometry = config.get('input_geometry')
    if not geometry:
        return config
    unknown = set(geometry) - set(GEOMETRY_KEYS)
    if unknown:
        raise ValueError(f'input_geometry has unknown keys {sorted(unknown)}; '
                         f'it holds {GEOMETRY_KEYS}')
    geometry = dict(geometry)
    for key in list(config.keys()):
        if key != 'input_geometry':
            _fill(config[key], key, geometry)
    return config
