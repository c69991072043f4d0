"""Builds the model of a config and loads its weights (``init_model``).

Classifying raw files: :mod:`cavmae_mm.apis.classify`."""
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.config import Config
from torch import nn

from cavmae_mm.checkpoint import init_quietly, load_weights
from cavmae_mm.config import load_config
from cavmae_mm.registry import MODELS
from cavmae_mm.utils.setup_env import register_all_modules


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Builds the model of a config, loads a checkpoint, returns it in eval.

    Args:
        config (str | Path | Config): Config file, model-zoo name (an entry
            of ``configs/metafile.yml``, e.g. ``cavmae-ft_as2m_as-full-51.2``
            or its official name ``as-full-51.2``) or Config object.
        checkpoint (str, optional): This package's checkpoint, an official
            checkpoint as released (converted in memory) or an http(s) URL
            (downloaded once into torch hub's cache). Every tensor of the
            model must come from it (see
            :func:`cavmae_mm.checkpoint.load_weights`). Without it the
            model has random initial weights; a config's ``Pretrained``
            init_cfg (the start of a training run) is not loaded.
        device (str | torch.device): Where to put the model.
        cfg_options (dict, optional): Overrides merged into the config, as
            ``--cfg-options`` does (e.g. ``{'model.modality': 'audio'}``).

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` attached.
    """
    config = load_config(config, cfg_options)
    register_all_modules(init_default_scope=True)
    model_cfg = config.model.copy()
    model_cfg.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if checkpoint is None:
        init_quietly(model)
    else:
        load_weights(model, str(checkpoint))
    model.cfg = config
    model.to(device)
    model.eval()
    return model
