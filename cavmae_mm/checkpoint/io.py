"""Reading checkpoints: files and URLs, this package's layout or official.

A checkpoint argument may be this package's checkpoint (a runner
checkpoint or a bare state dict), an official CAV-MAE checkpoint exactly as
released (with or without DataParallel's ``module.`` prefix: converted in
memory, one logged line), or an http(s) URL (downloaded once, see
:mod:`cavmae_mm.checkpoint.download`). Everything is read with
``torch.load(weights_only=True)``.
"""
from pathlib import Path
from typing import Any, Dict, NamedTuple, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor

from .download import local_file
from .errors import CheckpointError, CheckpointMismatch
from .official import MODULE_PREFIX, official_to_mm, strip_module_prefix

#: Top-level modules of this package's models; a state dict with none of
#: them is read as an official checkpoint.
MM_MODULES = ('backbone', 'neck', 'reconstruction_head', 'contrastive_head',
              'cls_head')


class LoadedState(NamedTuple):
    """A checkpoint as this package's state dict."""
    state_dict: Dict[str, Tensor]
    source: str
    official_kind: Optional[str]


def load_error_reason(err: Exception) -> str:
    """The line of a ``torch.load`` error that says why (for weights-only
    refusals, the unpickler's reason, e.g. ``Unsupported global: ...``)."""
    text = str(err)
    marker = 'WeightsUnpickler error:'
    if marker in text:
        text = text.split(marker, 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(err).__name__


def read_checkpoint_file(path: Path) -> Any:
    """The whole content of a checkpoint file (on the CPU), read with
    ``torch.load(weights_only=True)``; an MMEngine runner checkpoint's
    message hub loads through the allow-list of
    :mod:`cavmae_mm.utils.compat_torch_load`.

    Raises:
        FileNotFoundError: No such file.
        CheckpointError: Not a readable checkpoint (or one holding objects
            outside the allow-list); the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such file')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    # torch's unpickler fails on foreign bytes with many exception types
    # (UnpicklingError, EOFError, BadZipFile, RuntimeError, ...); for the
    # user they all mean one thing, said here with the file's name.
    except Exception as err:  # noqa: BLE001
        raise CheckpointError(f'{path}: not a readable PyTorch checkpoint '
                              f'({load_error_reason(err)})') from err


def is_state_dict(obj: Any) -> bool:
    """Whether ``obj`` is a non-empty dict of named tensors."""
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def load_tensors(path: Path, key: str = 'state_dict') -> Dict[str, Tensor]:
    """The named tensors of a checkpoint file (under ``key`` when the file
    holds a dict with it), read with ``torch.load(weights_only=True)``.

    Raises:
        FileNotFoundError: No such file.
        CheckpointError: Not a readable checkpoint, or no named tensors.
    """
    obj = read_checkpoint_file(path)
    if isinstance(obj, dict) and isinstance(obj.get(key), dict):
        obj = obj[key]
    if not is_state_dict(obj):
        raise CheckpointError(f'{path}: not a state dict of named tensors')
    return obj


def is_mm_layout(state: Dict[str, Tensor]) -> bool:
    """Whether a state dict (without ``module.``) has this package's
    top-level modules."""
    return any(k.split('.', 1)[0] in MM_MODULES for k in state)


def convert_official(path: Path, state: Dict[str, Tensor],
                     had_prefix: bool) -> LoadedState:
    """An official state dict (``module.`` stripped) in this package's
    names, with one log line saying what was converted.

    Raises:
        CheckpointError: Not a CAV-MAE checkpoint.
    """
    try:
        state, kind, dropped = official_to_mm(state)
    except CheckpointMismatch as err:
        raise CheckpointError(f'{path}: not a CAV-MAE checkpoint ({err})') \
            from err
    prefix = "with DataParallel's 'module.' prefix" if had_prefix else \
        "without the 'module.' prefix"
    extra = f', unused {", ".join(dropped)} dropped' if dropped else ''
    print_log(
        f'{path}: official CAV-MAE {kind} checkpoint ({prefix}) '
        f'converted in memory ({len(state)} tensors{extra})',
        logger='current')
    return LoadedState(state, str(path), kind)


def read_checkpoint(source: str) -> LoadedState:
    """Reads a checkpoint (file or URL) as this package's state dict.

    Raises:
        FileNotFoundError: No such file.
        CheckpointError: Not a readable checkpoint, or not a CAV-MAE one.
    """
    path = local_file(source)
    obj = load_tensors(path)
    had_prefix = all(k.startswith(MODULE_PREFIX) for k in obj)
    state = strip_module_prefix(obj)
    if is_mm_layout(state):
        return LoadedState(state, str(path), None)
    return convert_official(path, state, had_prefix)
