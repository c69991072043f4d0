"""Compatibility fix 2: MMEngine 0.10.7 checkpoints under torch >= 2.6.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``. Since torch 2.6
that means ``weights_only=True``, and resuming a run then fails with
``Unsupported global: mmengine.logging.history_buffer.HistoryBuffer``: the
runner's checkpoints pickle the message hub, whose ``HistoryBuffer`` objects
hold numpy arrays and a table of their own statistics methods (pickled as
``getattr(HistoryBuffer, 'mean')`` and so on).

:func:`allow_mmengine_checkpoint_globals` adds exactly those globals to
torch's weights-only allow-list: ``HistoryBuffer``, the numpy array and scalar
reconstructors, ``numpy.dtype`` and the classes of the dtypes those
arrays use, and, in place of the general
``builtins.getattr``, a restricted one that only looks up public methods of
``HistoryBuffer``. ``weights_only`` stays on for every load.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

#: dtypes of the arrays a HistoryBuffer holds (values and counts; float32 and
#: int32 when a logged value had that type). numpy >= 1.25 pickles each
#: array's dtype with its own class (e.g. ``numpy.dtypes.Float64DType``).
HISTORY_DTYPES = (np.float64, np.float32, np.int64, np.int32)


def history_buffer_method(owner: Any, name: str) -> Any:
    """``getattr`` restricted to public methods of ``HistoryBuffer``.

    Args:
        owner: Must be the ``HistoryBuffer`` class.
        name (str): A public method name, e.g. ``'mean'``.

    Returns:
        The method.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    if owner is HistoryBuffer and isinstance(name, str) and \
            not name.startswith('_') and \
            callable(getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); only public '
        'methods of mmengine HistoryBuffer are allowed')


def _numpy_globals() -> List[tuple]:
    """The numpy reconstructors under the module paths pickles name them."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    entries = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((reconstruct, f'{module}._reconstruct'))
        entries.append((scalar, f'{module}.scalar'))
    return entries


def allow_mmengine_checkpoint_globals() -> None:
    """Adds what MMEngine's runner checkpoints need to torch's allow-list."""
    torch.serialization.add_safe_globals([
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        *(type(np.dtype(t)) for t in HISTORY_DTYPES),
        (history_buffer_method, 'builtins.getattr'),
        *_numpy_globals(),
    ])
