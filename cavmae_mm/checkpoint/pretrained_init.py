"""Starting a model from pretrained weights, as the official recipes do.

A model config names its starting checkpoint the OpenMMLab way::

    model = dict(..., init_cfg=dict(type='Pretrained',
                                    checkpoint='checkpoints/cav-mae-scale++.pth'))

and ``init_weights`` (what the runner calls before training) initialises
every part as usual and then loads that checkpoint with
:func:`cavmae_mm.checkpoint.load_pretrained`: official checkpoints are
read as released, the parts a recipe replaces are summarised in one line,
and a missing file is an error that says which model-zoo entry provides it.
``model.init_cfg=None`` starts from random weights on purpose.
"""
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from mmengine.logging import print_log

from .download import is_url
from .loading import load_pretrained
from .model_zoo import find_by_default_path


def pretrained_checkpoint(init_cfg: Any) -> Optional[str]:
    """The checkpoint of a model-level ``Pretrained`` init_cfg, or None.

    Raises:
        ValueError: The init_cfg has a ``prefix`` (it takes the whole
            checkpoint).
    """
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        if init_cfg.get('prefix'):
            raise ValueError('a model-level Pretrained init_cfg takes the '
                             'whole checkpoint; drop prefix='
                             f'{init_cfg["prefix"]!r}')
        return init_cfg['checkpoint']
    return None


def how_to_get(checkpoint: str) -> str:
    """One sentence on where the missing ``checkpoint`` comes from."""
    entry = find_by_default_path(checkpoint)
    if entry is None:
        source = 'Point model.init_cfg.checkpoint at the pretrained file'
    else:
        source = (f'It is the model-zoo entry {entry.name} '
                  f'({entry.official_name}): mkdir -p checkpoints && '
                  f"wget -O {checkpoint} '{entry.weights}' (the official "
                  'file loads as released)')
    return (f'{source}, or set model.init_cfg=None to start from random '
            'weights on purpose.')


@contextmanager
def init_cfg_set_aside(model: Any) -> Iterator[None]:
    """``model.init_cfg`` is None inside the block (its parts initialise
    as usual, without the model-level checkpoint) and restored after."""
    init_cfg, model.init_cfg = model.init_cfg, None
    try:
        yield
    finally:
        model.init_cfg = init_cfg


class PretrainedInitMixin:
    """``init_weights`` that ends by loading a model-level ``Pretrained``
    init_cfg through :func:`load_pretrained`."""

    def init_weights(self) -> None:
        """The parts' own initialisation, then the ``Pretrained``
        checkpoint's tensors.

        Raises:
            FileNotFoundError: The checkpoint file does not exist (the
                message says where to get it).
        """
        checkpoint = pretrained_checkpoint(self.init_cfg)
        if checkpoint is None:
            super().init_weights()
            return
        hint = how_to_get(checkpoint)
        if not is_url(checkpoint) and not Path(checkpoint).is_file():
            raise FileNotFoundError(
                f'{checkpoint}: pretrained checkpoint not found. {hint}')
        with init_cfg_set_aside(self):
            super().init_weights()
        print_log(
            f'loading the pretrained checkpoint {checkpoint}',
            logger='current')
        load_pretrained(self, checkpoint, missing_hint=hint)
