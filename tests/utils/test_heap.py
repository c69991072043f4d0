"""The heap trimmer gives memory freed into glibc's heap back to the
system (the fragmentation that made long recordings grow)."""
import ctypes

import pytest

from cavmae_mm.utils.heap import HeapTrimmer, glibc_malloc_trim, resident_bytes

MB = 2**20

needs_glibc = pytest.mark.skipif(
    glibc_malloc_trim() is None or resident_bytes() is None,
    reason='malloc_trim and /proc/self/statm need Linux with glibc')


def c_library():
    libc = ctypes.CDLL('libc.so.6')
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def touched(libc, size: int) -> int:
    pointer = libc.malloc(size)
    assert pointer, 'malloc failed'
    ctypes.memset(pointer, 1, size)
    return pointer


@needs_glibc
def test_freed_holes_in_the_heap_go_back_to_the_system():
    libc = c_library()
    trim = HeapTrimmer(margin=16 * MB)
    trim()  # the starting size
    # Freeing a large mapped block raises glibc's mmap threshold, so the
    # next 1 MB blocks come from the heap, each followed by a block that
    # stays in use: freeing them leaves holes that free() cannot return.
    libc.free(touched(libc, 16 * MB))
    blocks, kept = [], []
    for _ in range(100):
        blocks.append(touched(libc, MB))
        kept.append(touched(libc, 4096))
    try:
        for pointer in blocks:
            libc.free(pointer)
        before = resident_bytes()
        trim()
        after = resident_bytes()
    finally:
        for pointer in kept:
            libc.free(pointer)
    assert trim.trims == 1
    assert before - after > 50 * MB, (before // MB, after // MB)


@needs_glibc
def test_no_trim_while_within_the_margin():
    trim = HeapTrimmer(margin=1024 * MB)
    assert trim.active
    for _ in range(3):
        trim()
    assert trim.trims == 0
