"""What happens to a datum that cannot be read: an error, or a replacement.

Every dataset of this package (the datalist dataset and the mixup wrapper)
reads a sample through :func:`fetch_or_replace`, so one policy holds for
every recipe:

- ``on_error='raise'`` (the default): a :class:`DatumError` naming the
  datalist, the datum index, its video id, the file and the reason.
- ``on_error='skip'`` (training data only): another datum, drawn at random,
  takes its place. A record ``{'datum': ..., 'reason': ...}`` travels with
  the replacement (in a ``replaced`` list in the packed data sample's
  metainfo, or under the ``replaced`` key of a not yet packed results dict)
  through data loader workers and collation;
  ``ReplacedSamplesHook`` logs each bad datum once, counts the replacements
  and stops a run in which too many were replaced. No tensor is ever made
  up.
"""
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

#: What reading one sample may raise for a bad file; anything else is a bug
#: and propagates unchanged.
DATA_ERRORS = (FileNotFoundError, ValueError, OSError)
ON_ERROR = ('raise', 'skip')
#: Where replacements are recorded (metainfo key / results key).
REPLACED_KEY = 'replaced'


class DatumError(RuntimeError):
    """A sample could not be read; the message names file, index, reason."""


def check_on_error(on_error: str, test_mode: bool) -> None:
    """Validates an ``on_error`` argument.

    Raises:
        ValueError: Unknown policy, or 'skip' for an evaluation dataset
            (it would change what is evaluated).
    """
    if on_error not in ON_ERROR:
        raise ValueError(f'on_error must be one of {ON_ERROR}, got '
                         f'{on_error!r}')
    if on_error == 'skip' and test_mode:
        raise ValueError("on_error='skip' would change what is evaluated; "
                         'use it for training data only')


def replacements_of(data: Dict) -> List[Dict[str, str]]:
    """The replacement records of a packed or unpacked sample."""
    samples = data.get('data_samples')
    if samples is not None and hasattr(samples, 'metainfo'):
        return list(samples.metainfo.get(REPLACED_KEY, ()))
    return list(data.get(REPLACED_KEY, ()))


def pop_replacements(results: Dict) -> List[Dict[str, str]]:
    """Takes the records out of an unpacked results dict (before a pipeline
    that packs it drops unknown keys)."""
    return list(results.pop(REPLACED_KEY, ()))


def record_replacements(data: Dict, reasons: Sequence[Dict[str, str]]) -> Dict:
    """Adds the records ``reasons`` to ``data``'s; returns ``data``.

    A packed sample (``data_samples``) records them in its metainfo, an
    unpacked results dict under :data:`REPLACED_KEY`.
    """
    if not reasons:
        return data
    reasons = replacements_of(data) + list(reasons)
    samples = data.get('data_samples')
    if samples is not None and hasattr(samples, 'set_metainfo'):
        samples.set_metainfo({REPLACED_KEY: reasons})
    else:
        data[REPLACED_KEY] = reasons
    return data


def other_index(idx: int, size: int) -> int:
    """A uniformly drawn index other than ``idx`` (numpy's global RNG, which
    MMEngine seeds per data loader worker)."""
    if size < 2:
        return idx
    other = int(np.random.randint(0, size - 1))
    return other + 1 if other >= idx else other


def fetch_or_replace(prepare: Callable[[int], Dict], idx: int, size: int,
                     describe: Callable[[int, Exception], Tuple[str, str]],
                     on_error: str, max_refetch: int) -> Dict:
    """``prepare(idx)`` under the policy ``on_error``.

    Args:
        prepare (callable): Reads and transforms datum ``idx``.
        idx (int): The datum asked for.
        size (int): Number of data (replacements are drawn from them).
        describe (callable): ``(idx, error) -> (datum, reason)``: the
            datum's name (datalist, index, video id) and the whole reason
            (also the file and the error).
        on_error (str): 'raise' or 'skip'.
        max_refetch (int): Replacements tried before giving up.

    Returns:
        dict: The sample, with the replaced data's reasons recorded.

    Raises:
        DatumError: With 'raise', for the first bad datum; with 'skip',
            when ``max_refetch + 1`` data in a row were bad.
    """
    replaced: List[Dict[str, str]] = []
    for _ in range(max_refetch + 1):
        try:
            data = prepare(idx)
        except DATA_ERRORS as err:
            datum, reason = describe(idx, err)
            if on_error == 'raise':
                raise DatumError(reason) from err
            replaced.append(dict(datum=datum, reason=reason))
            idx = other_index(idx, size)
            continue
        return record_replacements(data, replaced)
    raise DatumError(f'{len(replaced)} data in a row could not be read; '
                     f'last: {replaced[-1]["reason"]}')
