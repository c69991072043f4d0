"""Giving freed memory back to the system during long runs.

A long recording is classified in thousands of batches. The tensors of a
batch are freed when it is done, but glibc's allocator keeps much of what
they freed in its heap: it raises its mmap threshold after a large block
is freed, so later activations come from the heap, and a heap whose top is
still in use cannot shrink. The resident size of a two-hour recording then
grows by about 0.35 MB per window although nothing is kept (measured with
the tiny model: 1015 -> 1153 MB over 600 windows; flat at 831 MB with the
trim below). :class:`HeapTrimmer` calls glibc's ``malloc_trim`` when the
resident size has grown past a margin since its last trim, which returns
the free pages and keeps the memory of a long run bounded. Elsewhere than
Linux with glibc it does nothing.
"""
import ctypes
import ctypes.util
import os
import platform
from typing import Callable, Optional

#: Growth of the resident size (bytes) after which the heap is trimmed.
DEFAULT_MARGIN = 64 * 2**20


def resident_bytes() -> Optional[int]:
    """This process's resident size in bytes (Linux ``/proc``), or None
    where it cannot be read."""
    try:
        with open('/proc/self/statm') as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return None
    return pages * os.sysconf('SC_PAGE_SIZE')


def glibc_malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, or None where the C library is not glibc."""
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return None
    name = ctypes.util.find_library('c') or 'libc.so.6'
    return ctypes.CDLL(name).malloc_trim


class HeapTrimmer:
    """Trims the C heap when the resident size has grown by more than
    ``margin`` bytes since the last trim (or since the first call).

    Args:
        margin (int): Bytes of growth that start a trim. Defaults to 64 MiB.
    """

    def __init__(self, margin: int = DEFAULT_MARGIN) -> None:
        self.margin = margin
        self.trims = 0
        self._trim = glibc_malloc_trim()
        self._limit: Optional[int] = None

    @property
    def active(self) -> bool:
        """Whether trimming is possible on this system."""
        return self._trim is not None and resident_bytes() is not None

    def __call__(self) -> None:
        """Checks the resident size and trims the heap if it is over the
        limit (a few microseconds when it is not)."""
        if self._trim is None:
            return
        resident = resident_bytes()
        if resident is None:
            return
        if self._limit is None:
            self._limit = resident + self.margin
        elif resident > self._limit:
            self._trim(0)
            self.trims += 1
            self._limit = (resident_bytes() or resident) + self.margin
