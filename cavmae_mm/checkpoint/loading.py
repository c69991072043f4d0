"""Loading a checkpoint into a model, strictly, with a report.

Two ways to load (the checkpoint read by :func:`~.io.read_checkpoint`:
this package's files, official ones as released, URLs):

- :func:`load_weights` (testing, inference): every tensor of the model must
  come from the checkpoint with its shape; anything else is a
  :class:`~.errors.CheckpointMismatch` that names the tensors and the
  likely cause.
- :func:`load_pretrained` (the start of finetuning or pretraining): the
  encoder must come from the checkpoint; the parts a recipe replaces (a
  pretraining decoder when finetuning, a classification head) are
  summarised in one line each.

Both compare the keys (:mod:`~.compare`), report per part
(:mod:`~.report`), then copy the tensors (:func:`copy_into`).
"""
import logging
from collections import OrderedDict
from typing import Dict, Iterable

from mmengine.logging import MMLogger, print_log
from torch import Tensor, nn

from .compare import (Comparison, blocking_mismatches, compare,
                      mismatched_keys, part_of)
from .errors import CheckpointMismatch
from .io import LoadedState, read_checkpoint
from .report import describe, likely_cause, log_new_parts, log_unused_parts


def copy_into(model: nn.Module,
              state: Dict[str, Tensor],
              source: str,
              expected_missing: Iterable[str] = ()) -> None:
    """``load_state_dict`` (its hooks trim longer position tables); any
    missing tensor beyond ``expected_missing`` or an unexpected one is a
    bug in the comparison before, never left silent.

    Raises:
        CheckpointMismatch: ``load_state_dict`` left other tensors out.
    """
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
        CheckpointError, FileNotFoundError: See
            :func:`~.io.read_checkpoint`.
    """
    loaded = read_checkpoint(source)
    found = compare(model, loaded.state_dict)
    if found.missing or found.unexpected or found.mismatched:
        raise CheckpointMismatch(
            f'{loaded.source}: does not fit {type(model).__name__} '
            f'({describe(found)}). Likely cause: '
            f'{likely_cause(model, loaded.state_dict, found)}')
    copy_into(model, loaded.state_dict, loaded.source)
    return loaded


def read_pretrained(source: str, missing_hint: str = '') -> LoadedState:
    """:func:`~.io.read_checkpoint`, with ``missing_hint`` (how to get the
    file) appended to the error of a missing file."""
    try:
        return read_checkpoint(source)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'{err}. {missing_hint}'.strip()) from err


def check_initialisable(model: nn.Module, loaded: LoadedState,
                        found: Comparison) -> None:
    """Raises CheckpointMismatch unless the checkpoint has encoder tensors
    and every reshaped tensor is in a replaceable part."""
    blocking = blocking_mismatches(found)
    has_encoder = any(part_of(k) == 'backbone' for k in loaded.state_dict)
    if blocking.mismatched or not has_encoder:
        reason = describe(blocking) if blocking.mismatched else \
            'it holds no encoder (backbone) tensors'
        raise CheckpointMismatch(
            f'{loaded.source}: cannot initialise {type(model).__name__} '
            f'from it ({reason})')


def fitting_tensors(state: Dict[str, Tensor],
                    found: Comparison) -> Dict[str, Tensor]:
    """The tensors of ``state`` the model takes: without the reshaped ones
    and those the model lacks."""
    unfit = set(mismatched_keys(found)) | set(found.unexpected)
    return OrderedDict((k, v) for k, v in state.items() if k not in unfit)


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
    loaded = read_pretrained(source, missing_hint)
    found = compare(model, loaded.state_dict)
    check_initialisable(model, loaded, found)
    state = fitting_tensors(loaded.state_dict, found)
    log_unused_parts(found.unexpected)
    log_new_parts(found)
    copy_into(model, state, loaded.source,
              found.missing + mismatched_keys(found))
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
