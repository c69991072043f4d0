"""A training checkpoint made ready to publish (tools/misc/publish_model).

OpenMMLab's way: keep what inference needs (``state_dict`` and ``meta``),
drop the optimizer, the message hub, the parameter schedulers and any other
entry, save, and append the first 8 hex digits of the file's SHA-256 to its
name (``model.pth`` -> ``model-1a2b3c4d.pth``), so that a download can be
checked against its name.

The input is read with ``torch.load(weights_only=True)`` and this package's
allow-list for MMEngine's message hub (which MMAction2's own script lacks
under torch >= 2.6). The output is checked to load with a plain
``torch.load(weights_only=True)``, without that allow-list, so that anyone
can read the published file without cavmae_mm.
"""
import hashlib
import os
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Sequence, Tuple

import torch
from torch import Tensor

from .errors import CheckpointError
from .io import load_error_reason, read_checkpoint_file

#: What a published checkpoint keeps by default.
DEFAULT_KEYS = ('meta', 'state_dict')
HASH_LENGTH = 8


class Published(NamedTuple):
    """What :func:`publish_checkpoint` wrote."""
    path: Path
    sha256: str
    kept: List[str]
    dropped: List[str]


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(block), b''):
            digest.update(chunk)
    return digest.hexdigest()


def hashed_name(out_file: Path, sha256: str) -> Path:
    """``name.pth`` -> ``name-<first 8 hex digits>.pth`` (``.pth`` is
    added to a name without it)."""
    stem = out_file.name[:-4] if out_file.name.endswith('.pth') else \
        out_file.name
    return out_file.with_name(f'{stem}-{sha256[:HASH_LENGTH]}.pth')


def strip_checkpoint(checkpoint: Any,
                     source: str,
                     keys: Sequence[str] = DEFAULT_KEYS) -> Dict[str, Any]:
    """The entries ``keys`` of a checkpoint; a bare state dict (a dict of
    tensors only) is taken as ``state_dict``.

    Raises:
        CheckpointError: Not a dict, or no ``state_dict`` where it is asked
            for (the message names ``source``).
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{source}: holds a {type(checkpoint).__name__}'
                              ', not a checkpoint dict')
    if checkpoint and all(isinstance(v, Tensor) for v in checkpoint.values()):
        checkpoint = dict(state_dict=checkpoint)
    if 'state_dict' in keys and not isinstance(
            checkpoint.get('state_dict'), dict):
        raise CheckpointError(f'{source}: no state_dict (entries: '
                              f'{", ".join(map(str, checkpoint)) or "none"})')
    return {key: checkpoint[key] for key in keys if key in checkpoint}


def check_plain_loadable(path: Path, source: str) -> None:
    """Raises CheckpointError when a plain ``torch.load(weights_only=True)``
    (no allow-list entries) refuses the file ``path``, written from
    ``source``."""
    allowed = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    except Exception as err:  # noqa: BLE001  (any refusal, said once)
        reason = load_error_reason(err).split(' was not an allowed')[0]
        raise CheckpointError(
            f'{source}: the kept entries hold objects that torch.load('
            f'weights_only=True) refuses without cavmae_mm ({reason}); '
            'leave them out with --save-keys') from err
    finally:
        torch.serialization.add_safe_globals(allowed)


def save_hashed(kept: Dict[str, Any], out_file: Path,
                source: str) -> Tuple[Path, str]:
    """Saves ``kept`` through a ``.partial`` file that a plain weights-only
    load must accept, then renames it after its hash.

    Returns:
        tuple: The file written and its SHA-256.

    Raises:
        CheckpointError: A plain weights-only load refuses the entries
            (nothing is left behind).
    """
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_name(out_file.name + '.partial')
    torch.save(kept, partial)
    try:
        check_plain_loadable(partial, source)
    except CheckpointError:
        partial.unlink()
        raise
    digest = sha256_of(partial)
    final = hashed_name(out_file, digest)
    os.replace(partial, final)
    return final, digest


def publish_checkpoint(in_file: Path,
                       out_file: Path,
                       keys: Sequence[str] = DEFAULT_KEYS) -> Published:
    """Writes the kept entries of ``in_file`` to ``out_file`` renamed with
    its hash (an existing file of that name is replaced).

    Raises:
        FileNotFoundError: No such input file.
        CheckpointError: Unreadable input, no state dict, or kept entries a
            plain weights-only load refuses.
    """
    in_file, out_file = Path(in_file), Path(out_file)
    checkpoint = read_checkpoint_file(in_file)
    kept = strip_checkpoint(checkpoint, str(in_file), keys)
    dropped = [str(k) for k in checkpoint if k not in kept] if \
        'state_dict' in checkpoint else []
    final, digest = save_hashed(kept, out_file, str(in_file))
    return Published(final, digest, list(kept), dropped)
