"""Checkpoints: reading, the official format both ways, the ImageNet-MAE
start, the model zoo, publishing, and strict loading with its report.

- :mod:`.io` reads a checkpoint argument (file or URL, this package's
  layout or an official release) as this package's state dict;
  :mod:`.download` caches URLs.
- :mod:`.official` maps the official names to this package's and back;
  :mod:`.model_config` infers the model config a converted state dict
  fits; :mod:`.imagenet_mae` makes the pretraining start from a vision MAE.
- :mod:`.compare`, :mod:`.report` and :mod:`.loading` load a state dict
  into a model strictly (:func:`load_weights`) or as a pretrained start
  (:func:`load_pretrained`), saying per part what was not taken.
- :mod:`.pretrained_init` is the models' ``init_weights`` that loads a
  model-level ``Pretrained`` init_cfg.
- :mod:`.model_zoo` names the entries of ``configs/metafile.yml``;
  :mod:`.publish` makes a training checkpoint ready to publish.

The package imports no models (the model registry only on first use, to
check a converted state dict), so models, the engine and ``utils`` may
import it.
"""
from .download import download, is_url
from .errors import CheckpointError, CheckpointMismatch
from .imagenet_mae import imagenet_mae_to_official
from .io import (LoadedState, load_tensors, read_checkpoint,
                 read_checkpoint_file)
from .loading import init_quietly, load_pretrained, load_weights
from .model_config import compare_to_model, infer_model_config
from .model_zoo import (ModelInfo, find_by_default_path, get_model,
                        list_models, resolve_config, resolve_model, zoo_root)
from .official import mm_to_official, official_to_mm, strip_module_prefix
from .pretrained_init import (PretrainedInitMixin, init_cfg_set_aside,
                              pretrained_checkpoint)
from .publish import Published, publish_checkpoint

__all__ = [
    'CheckpointError', 'CheckpointMismatch', 'LoadedState', 'ModelInfo',
    'PretrainedInitMixin', 'Published', 'compare_to_model', 'download',
    'find_by_default_path', 'get_model', 'imagenet_mae_to_official',
    'infer_model_config', 'init_quietly', 'is_url', 'list_models',
    'load_pretrained', 'load_tensors', 'load_weights', 'mm_to_official',
    'official_to_mm', 'pretrained_checkpoint', 'init_cfg_set_aside',
    'publish_checkpoint', 'read_checkpoint', 'read_checkpoint_file',
    'resolve_config', 'resolve_model', 'strip_module_prefix', 'zoo_root'
]
