"""The heap trimmer gives memory freed into glibc's heap back to the
system (the fragmentation that made long recordings grow)."""
import json
import subprocess
import sys
import textwrap

import pytest

from cavmae_mm.utils import heap as heap_module
from cavmae_mm.utils.heap import HeapTrimmer, glibc_malloc_trim, resident_bytes

MB = 2**20

needs_glibc = pytest.mark.skipif(
    glibc_malloc_trim() is None or resident_bytes() is None,
    reason='malloc_trim and /proc/self/statm need Linux with glibc')

# Runs in a fresh interpreter that loads only the heap module: the heap of
# the test process holds whatever the earlier tests left (free space that
# serves new blocks without growth) and torch's libraries change glibc's
# thresholds. mallopt fixes them as a long PyTorch run meets them (blocks
# of 1 MB served from the heap, no trim of the top by free()); each 1 MB
# block is followed by a block that stays in use, so freeing them leaves
# holes in the heap that free() alone does not return.
HOLES_IN_THE_HEAP = textwrap.dedent('''
    import ctypes, importlib.util, json, sys
    spec = importlib.util.spec_from_file_location('heap', sys.argv[1])
    heap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heap)
    MB = 2**20
    libc = ctypes.CDLL('libc.so.6')
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    assert libc.mallopt(M_MMAP_THRESHOLD, 32 * MB)
    assert libc.mallopt(M_TRIM_THRESHOLD, 1024 * MB)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def touched(size):
        pointer = libc.malloc(size)
        assert pointer, 'malloc failed'
        ctypes.memset(pointer, 1, size)
        return pointer

    trim = heap.HeapTrimmer(margin=16 * MB)
    trim()  # the starting size
    blocks, kept = [], []
    for _ in range(100):
        blocks.append(touched(MB))
        kept.append(touched(4096))
    for pointer in blocks:
        libc.free(pointer)
    before = heap.resident_bytes()
    trim()
    after = heap.resident_bytes()
    for pointer in kept:
        libc.free(pointer)
    print(json.dumps(dict(before=before, after=after, trims=trim.trims)))
''')


@needs_glibc
def test_freed_holes_in_the_heap_go_back_to_the_system():
    run = subprocess.run(
        [sys.executable, '-c', HOLES_IN_THE_HEAP, heap_module.__file__],
        capture_output=True,
        text=True,
        timeout=120)
    assert run.returncode == 0, run.stderr
    sizes = json.loads(run.stdout.strip().splitlines()[-1])
    assert sizes['trims'] == 1, sizes
    freed = sizes['before'] - sizes['after']
    assert freed > 50 * MB, {k: v // MB for k, v in sizes.items()}


@needs_glibc
def test_no_trim_while_within_the_margin():
    trim = HeapTrimmer(margin=1024 * MB)
    assert trim.active
    for _ in range(3):
        trim()
    assert trim.trims == 0
