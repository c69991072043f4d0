"""Builds a model from a config and loads a checkpoint."""
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from torch import nn

from cavmae_mm.registry import MODELS
from cavmae_mm.utils.setup_env import register_all_modules


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Builds the model of a config, loads a checkpoint, returns it in eval.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint in this package's format (see
            ``tools/convert_checkpoint.py`` for the official ones). Without
            it, the model keeps its initial weights (``init_weights``).
        device (str | torch.device): Where to put the model.
        cfg_options (dict, optional): Overrides merged into the config, as
            ``--cfg-options`` does (e.g. ``{'model.modality': 'audioonly'}``).

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` attached.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=True)
    model = MODELS.build(config.model)
    if checkpoint is None:
        model.init_weights()
    else:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.cfg = config
    model.to(device)
    model.eval()
    return model
