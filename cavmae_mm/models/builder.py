"""Builds sub-modules from this package's registry whatever the scope."""
from typing import Optional, Union

from torch import nn

from cavmae_mm.registry import MODELS


def resolve_type(cfg: dict) -> dict:
    """Replaces a string ``type`` by the class this package's registry finds.

    MMAction2's base classes build their parts from MMAction2's registry,
    which reaches this package's components only when the default scope is
    ``cavmae_mm``. Resolving the class here makes building independent of the
    scope (MMAction2's own names still resolve through the parent registry).
    """
    cfg = dict(cfg)
    if isinstance(cfg.get('type'), str):
        cls = MODELS.get(cfg['type'])
        if cls is None:
            raise KeyError(f'{cfg["type"]!r} is not in the cavmae_mm or '
                           'MMAction2 model registry')
        cfg['type'] = cls
    return cfg


def build_data_preprocessor(
        cfg: Optional[Union[dict, nn.Module]]) -> nn.Module:
    """Builds the data preprocessor, ``AVDataPreprocessor`` by default."""
    if isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(
        cfg if cfg is not None else dict(type='AVDataPreprocessor'))
