"""The model zoo: names of ``configs/metafile.yml`` -> config and weights.

The index is found in the repository (a clone, or an editable install) or,
after ``pip install .``, in the package's ``.mim`` folder, as OpenMMLab
packages ship their configs. Every entry can be named by its ``Name`` (e.g.
``cavmae-ft_as2m_as-full-51.2``) or its official name (``as-full-51.2``).
"""
import difflib
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]


class ModelInfo(NamedTuple):
    """One model-zoo entry."""
    name: str
    official_name: str
    config: Path
    weights: Optional[str]  # None: a recipe without released weights
    default_path: Optional[str]


def zoo_root() -> Path:
    """The folder holding ``model-index.yml`` and ``configs/``: the
    repository when the package sits in one, else the package's ``.mim``."""
    for root in (PACKAGE_DIR.parent, PACKAGE_DIR / '.mim'):
        if (root / 'model-index.yml').is_file() and \
                (root / 'configs').is_dir():
            return root
    raise FileNotFoundError(
        f'no model-index.yml next to {PACKAGE_DIR} or in its .mim folder; '
        'reinstall cavmae_mm (pip install .) or run from a clone')


@lru_cache(maxsize=4)
def _load(root: Path) -> Tuple[ModelInfo, ...]:
    index = yaml.safe_load((root / 'model-index.yml').read_text())
    entries: List[ModelInfo] = []
    for metafile in index.get('Import', []):
        meta = yaml.safe_load((root / metafile).read_text())
        for model in meta.get('Models', []):
            info = model.get('Metadata', {})
            entries.append(
                ModelInfo(
                    name=model['Name'],
                    official_name=str(info.get('Official Name', '')),
                    config=root / model['Config'],
                    weights=model.get('Weights'),
                    default_path=info.get('Default Path')))
    return tuple(entries)


def list_models() -> List[ModelInfo]:
    """Every model-zoo entry, in the metafile's order."""
    return list(_load(zoo_root()))


def _names(entry: ModelInfo) -> Tuple[str, ...]:
    """The lower-case names an entry answers to."""
    return tuple(n.lower() for n in (entry.name, entry.official_name) if n)


def close_names(wanted: str, entries: List[ModelInfo]) -> List[str]:
    """Up to 5 entry names whose names or official names are close to
    ``wanted`` (lower case), the closest first."""
    known: Dict[str, str] = {}
    for entry in entries:
        for alias in _names(entry):
            known[alias] = entry.name
    close = difflib.get_close_matches(wanted, list(known), n=5, cutoff=0.4)
    names = set(known[c] for c in close)
    closest = set(known[c] for c in close[:1])
    return sorted(names, key=lambda n: (n not in closest, n))


def get_model(name: str) -> ModelInfo:
    """The entry called ``name`` (its Name or official name, any case).

    Raises:
        ValueError: No such entry; the message lists the closest names.
    """
    entries = list_models()
    wanted = name.lower()
    for entry in entries:
        if wanted in _names(entry):
            return entry
    suggestions = close_names(wanted, entries)
    hint = (f'; close names: {", ".join(suggestions)}' if suggestions else '')
    raise ValueError(f'{name!r} is neither a config file nor a model name of '
                     f'{zoo_root() / "configs" / "metafile.yml"}{hint}')


def resolve_config(config: str) -> Tuple[Path, Optional[ModelInfo]]:
    """A config path, or the config of a model-zoo name.

    Returns:
        tuple: The config file and the model-zoo entry (None for a path).

    Raises:
        FileNotFoundError: A ``.py`` path that does not exist.
        ValueError: A name that is in no metafile (close names listed).
    """
    path = Path(config)
    if path.is_file():
        return path, None
    if path.suffix == '.py' or '/' in config:
        raise FileNotFoundError(f'{config}: config file not found')
    entry = get_model(config)
    return entry.config, entry


def find_by_default_path(path: str) -> Optional[ModelInfo]:
    """The entry whose documented download location is ``path``."""
    target = Path(path).as_posix()
    for entry in list_models():
        if entry.default_path and (target == entry.default_path or
                                   target.endswith('/' + entry.default_path)):
            return entry
    return None


def resolve_model(config: str,
                  checkpoint: Optional[str] = None) -> Tuple[Path, str]:
    """The config and the checkpoint a user named: a model-zoo name gives
    its download URL when no checkpoint is named.

    Raises:
        FileNotFoundError, ValueError: As :func:`resolve_config`; or no
            checkpoint (a config file without one).
    """
    path, entry = resolve_config(config)
    if checkpoint is None and entry is not None and entry.weights is None:
        raise ValueError(f'{entry.name}: the official code released no '
                         'weights for this recipe; train it (its Training '
                         'Config in configs/metafile.yml) and give the '
                         'checkpoint')
    checkpoint = checkpoint or (entry.weights if entry else None)
    if checkpoint is None:
        raise ValueError(f'{config}: a config file needs a checkpoint (file '
                         'or URL); a model-zoo name defaults to its weights')
    return path, checkpoint
