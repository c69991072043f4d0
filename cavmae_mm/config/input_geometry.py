"""A config's input sizes, stated once: ``input_geometry``.

A config states ``target_length``, ``num_mel_bins`` and ``frame_size`` once,
in ``input_geometry``; :func:`fill_input_geometry` (run by
:func:`cavmae_mm.config.load_config` and ``CAVMAERunner.from_cfg``) hands
them to every model part and data transform that takes them.
"""
import inspect
from functools import lru_cache
from typing import Any, Tuple

from mmengine.config import Config

from cavmae_mm.geometry import GEOMETRY_KEYS


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
