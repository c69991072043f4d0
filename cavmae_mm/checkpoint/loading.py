"""Checkpoints that load themselves: files, URLs, official releases.

A checkpoint argument may be this package's checkpoint (a runner
checkpoint or a bare state dict), an official CAV-MAE checkpoint exactly as
released (with or without DataParallel's ``module.`` prefix: converted in
memory, one logged line), or an http(s) URL (downloaded once into torch
hub's cache, ``$TORCH_HOME/hub/checkpoints``). Everything is read with
``torch.load(weights_only=True)``.

Two ways to load:

- :func:`load_weights` (testing, inference): every tensor of the model must
  come from the checkpoint with its shape; anything else is a
  :class:`CheckpointMismatch` that names the tensors and the likely cause.
- :func:`load_pretrained` (the start of finetuning or pretraining): the
  encoder must come from the checkpoint; the parts a recipe replaces (a
  pretraining decoder when finetuning, a classification head) are
  summarised in one line each.
"""
import logging
import os
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple
from urllib.parse import urlparse

import torch
from mmengine.logging import MMLogger, print_log
from torch import Tensor, nn

from .official import (MODULE_PREFIX, CheckpointMismatch, official_to_mm,
                       strip_module_prefix)

#: Top-level modules of this package's models; a state dict with none of
#: them is read as an official checkpoint.
MM_MODULES = ('backbone', 'neck', 'head', 'contrastive_head', 'cls_head')
#: Human names of the parts, for messages.
PART_NAMES = dict(
    backbone='encoder',
    neck='decoder',
    head='reconstruction head',
    contrastive_head='contrastive head',
    cls_head='classification head')


class CheckpointError(ValueError):
    """A checkpoint cannot be read; the message names the file and why."""


class LoadedState(NamedTuple):
    """A checkpoint as this package's state dict."""
    state_dict: Dict[str, Tensor]
    source: str
    official_kind: Optional[str]


def is_url(source: str) -> bool:
    return str(source).startswith(('http://', 'https://'))


def cache_dir() -> Path:
    """Where downloaded checkpoints are kept: torch hub's checkpoint cache."""
    return Path(torch.hub.get_dir()) / 'checkpoints'


def download(url: str) -> Path:
    """Downloads ``url`` once into :func:`cache_dir` and returns the file.

    The file is named after the URL's last path part (``?dl=1`` and other
    queries dropped), as torch hub names its cached checkpoints; a file
    already there is used without downloading again.
    """
    name = os.path.basename(urlparse(url).path)
    if not name:
        raise CheckpointError(f'{url}: the URL names no file')
    target = cache_dir() / name
    if target.is_file():
        print_log(f'{url}: using the cached {target}', logger='current')
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print_log(f'downloading {url} to {target}', logger='current')
    partial = target.with_name(target.name + '.partial')
    try:
        torch.hub.download_url_to_file(url, str(partial), progress=True)
    except OSError as err:  # URLError and HTTPError are OSErrors
        partial.unlink(missing_ok=True)
        raise CheckpointError(f'{url}: download failed ({err})') from err
    os.replace(partial, target)
    return target


def local_file(source: str) -> Path:
    """The local file of a checkpoint argument (downloading a URL)."""
    if is_url(source):
        return download(source)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: checkpoint not found')
    return path


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
    if not isinstance(obj, dict) or not obj or not all(
            isinstance(k, str) and isinstance(v, Tensor)
            for k, v in obj.items()):
        raise CheckpointError(f'{path}: not a state dict of named tensors')
    return obj


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
    if any(k.split('.', 1)[0] in MM_MODULES for k in state):
        return LoadedState(state, str(path), None)
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


def _part(key: str) -> str:
    return key.split('.', 1)[0]


def _group(keys: Iterable[str]) -> str:
    counts: Dict[str, int] = defaultdict(int)
    for key in keys:
        counts[_part(key)] += 1
    return ', '.join(f'{PART_NAMES.get(p, p)} {p}.* ({n})'
                     for p, n in counts.items())


def _adaptable(key: str, got: Tuple[int, ...], want: Tuple[int, ...]) -> bool:
    """Audio position tables of longer clips: the encoder and decoder trim
    them when loading (see their ``_load_from_state_dict``)."""
    return key.endswith('pos_embed_a') and len(got) == len(want) == 3 and \
        got[0] == want[0] and got[2] == want[2] and got[1] > want[1]


class Comparison(NamedTuple):
    """How a state dict fits a model."""
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]


def compare(model: nn.Module, state: Dict[str, Tensor]) -> Comparison:
    """Missing, unexpected and differently shaped tensors."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [(k, tuple(v.shape), expected[k]) for k, v in state.items()
                  if k in expected and tuple(v.shape) != expected[k]
                  and not _adaptable(k, tuple(v.shape), expected[k])]
    return Comparison(missing, unexpected, mismatched)


def _likely_cause(model: nn.Module, state: Dict[str, Tensor],
                  found: Comparison) -> str:
    parts = {_part(k) for k in state}
    if hasattr(model, 'cls_head') and 'cls_head' not in parts and \
            'neck' in parts:
        return ('this is a pretraining checkpoint (it has the decoder, not '
                'a classification head): classification needs a finetuned '
                'checkpoint (the cavmae-ft_* entries of configs/metafile.yml)'
                '; pretrained weights serve the retrieval, feature and '
                'inpainting tools, or start a finetuning run')
    if hasattr(model, 'neck') and 'cls_head' in parts:
        return ('this is a finetuned classifier checkpoint: the '
                'pretraining, retrieval and inpainting models need a '
                'pretrained checkpoint (e.g. cavmae-scale++_as2m)')
    for key, got, want in found.mismatched:
        if key == 'cls_head.fc.weight':
            return (f'the checkpoint classifies {got[0]} classes, the config '
                    f'{want[0]} (model.cls_head.num_classes): use the config '
                    'the checkpoint was trained with')
    if found.mismatched:
        return 'the checkpoint was trained with other model sizes'
    return 'the checkpoint belongs to another model or config'


def _describe(found: Comparison, limit: int = 6) -> str:
    parts = []
    if found.missing:
        parts.append(f'{len(found.missing)} missing: {_group(found.missing)}'
                     f' e.g. {", ".join(found.missing[:limit])}')
    if found.unexpected:
        parts.append(f'{len(found.unexpected)} not in the model: '
                     f'{_group(found.unexpected)}')
    if found.mismatched:
        shapes = ', '.join(f'{k} {list(g)} vs model {list(w)}'
                           for k, g, w in found.mismatched[:limit])
        parts.append(f'{len(found.mismatched)} with other shapes: {shapes}')
    return '; '.join(parts)


def _copy_into(model: nn.Module,
               state: Dict[str, Tensor],
               source: str,
               expected_missing: Iterable[str] = ()) -> None:
    """``load_state_dict`` (its hooks trim longer position tables); any
    missing tensor beyond ``expected_missing`` or an unexpected one is a
    bug in the comparison above, never left silent."""
    result = model.load_state_dict(OrderedDict(state), strict=False)
    leftover = set(result.missing_keys) - set(expected_missing)
    if result.unexpected_keys or leftover:
        raise CheckpointMismatch(f'{source}: unexpected load result (missing '
                                 f'{sorted(leftover)[:5]}, unexpected '
                                 f'{result.unexpected_keys[:5]})')


def load_weights(model: nn.Module, source: str) -> LoadedState:
    """Loads every tensor of ``model`` from a checkpoint, strictly.

    Raises:
        CheckpointMismatch: The checkpoint misses tensors of the model, has
            others, or other shapes; the message names them and the likely
            cause (e.g. pretraining weights given to a classifier).
        CheckpointError, FileNotFoundError: See :func:`read_checkpoint`.
    """
    loaded = read_checkpoint(source)
    found = compare(model, loaded.state_dict)
    if found.missing or found.unexpected or found.mismatched:
        raise CheckpointMismatch(
            f'{loaded.source}: does not fit {type(model).__name__} '
            f'({_describe(found)}). Likely cause: '
            f'{_likely_cause(model, loaded.state_dict, found)}')
    _copy_into(model, loaded.state_dict, loaded.source)
    return loaded


#: Parts a recipe may start without (built anew) or leave unused.
REPLACEABLE = ('cls_head', )


def load_pretrained(model: nn.Module,
                    source: str,
                    missing_hint: str = '') -> LoadedState:
    """Initialises ``model`` from a pretrained checkpoint.

    The encoder (``backbone``) must come from the checkpoint; so must the
    decoder and heads of a pretraining model when the checkpoint has them.
    Parts the checkpoint has but the model lacks (a pretraining decoder when
    finetuning) and a classification head that is new or of another class
    count are each summarised in one log line. Encoder tensors missing from
    the checkpoint (e.g. the modality embeddings of the ImageNet-MAE
    initialisation) keep their initial values and are named in one line.

    Args:
        model (nn.Module): An initialised ``CAVMAE`` or
            ``CAVMAERecognizer``.
        source (str): Checkpoint file or URL.
        missing_hint (str): Appended to the error of a missing file (how to
            get it).

    Raises:
        FileNotFoundError: The file does not exist (with ``missing_hint``).
        CheckpointMismatch: No encoder tensor fits, or tensors of the
            encoder or decoder have other shapes.
    """
    try:
        loaded = read_checkpoint(source)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'{err}. {missing_hint}'.strip()) from err
    state = OrderedDict(loaded.state_dict)
    found = compare(model, state)
    blocking = [m for m in found.mismatched if _part(m[0]) not in REPLACEABLE]
    encoder_keys = [k for k in state if _part(k) == 'backbone']
    if blocking or not encoder_keys:
        reason = _describe(Comparison([], [], blocking)) if blocking else \
            'it holds no encoder (backbone) tensors'
        raise CheckpointMismatch(
            f'{loaded.source}: cannot initialise {type(model).__name__} '
            f'from it ({reason})')
    for key, _, _ in found.mismatched:
        del state[key]
    for part in sorted({_part(k) for k in found.unexpected}):
        keys = [k for k in found.unexpected if _part(k) == part]
        for key in keys:
            del state[key]
        print_log(
            f'{PART_NAMES.get(part, part)} ({part}): {len(keys)} '
            'tensors of the checkpoint not used, as expected for '
            'this model',
            logger='current')
    new = sorted({_part(k)
                  for k in found.missing}
                 | {_part(k)
                    for k, _, _ in found.mismatched})
    for part in new:
        keys = [k for k in found.missing if _part(k) == part] + \
            [k for k, _, _ in found.mismatched if _part(k) == part]
        if part in REPLACEABLE:
            print_log(
                f'{PART_NAMES.get(part, part)} ({part}): '
                f'{len(keys)} tensors initialised anew (not in the '
                'pretrained checkpoint, or another class count)',
                logger='current')
        else:
            print_log(
                f'{PART_NAMES.get(part, part)} ({part}): '
                f'{len(keys)} tensors not in the checkpoint keep '
                f'their initial values: {", ".join(keys[:8])}' +
                (' ...' if len(keys) > 8 else ''),
                logger='current')
    _copy_into(model, state, loaded.source,
               found.missing + [k for k, _, _ in found.mismatched])
    print_log(
        f'initialised {type(model).__name__} from {loaded.source} '
        f'({len(state)} tensors)',
        logger='current')
    return loaded


def init_quietly(model: nn.Module) -> None:
    """``model.init_weights()`` without MMEngine's line per parameter."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
