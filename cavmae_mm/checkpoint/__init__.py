"""Checkpoints: reading, the official format both ways, the ImageNet-MAE
start, the model zoo, publishing, and strict loading with its report.

The package imports no models (the model registry only on first use, to
check a converted state dict), so models, the engine and ``utils`` may
import it.
"""
from .loading import (CheckpointError, LoadedState, download, init_quietly,
                      is_url, load_pretrained, load_tensors, load_weights,
                      read_checkpoint, read_checkpoint_file)
from .model_zoo import (ModelInfo, find_by_default_path, get_model,
                        list_models, resolve_config, resolve_model, zoo_root)
from .official import (CheckpointMismatch, compare_to_model,
                       imagenet_mae_to_official, infer_model_config,
                       mm_to_official, official_to_mm, strip_module_prefix)
from .pretrained_init import PretrainedInitMixin, pretrained_checkpoint
from .publish import Published, publish_checkpoint

__all__ = [
    'CheckpointError', 'CheckpointMismatch', 'LoadedState', 'ModelInfo',
    'PretrainedInitMixin', 'Published', 'compare_to_model', 'download',
    'find_by_default_path', 'get_model', 'imagenet_mae_to_official',
    'infer_model_config', 'init_quietly', 'is_url', 'list_models',
    'load_pretrained', 'load_tensors', 'load_weights', 'mm_to_official',
    'official_to_mm', 'pretrained_checkpoint', 'publish_checkpoint',
    'read_checkpoint', 'read_checkpoint_file', 'resolve_config',
    'resolve_model', 'strip_module_prefix', 'zoo_root'
]
