"""Writing shards and manifests (``tools/data/pack_shards.py`` packs
datalists with these)."""
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from .layout import (FORMAT_VERSION, MANIFEST_KIND, META_MEMBER, dump_json,
                     sample_key)

#: Fixed member times: the same inputs give the same shard bytes.
MTIME = 0


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def write_shard(path: Path,
                samples: Iterable[Tuple[Dict, Dict[str, bytes]]]) -> Dict:
    """Writes a WebDataset shard atomically and returns its manifest entry.

    Args:
        path (Path): The shard to write (a temporary name, fsynced, then
            renamed: a killed writer leaves no complete-looking shard).
        samples: ``(meta, members)`` pairs: ``meta`` holds ``datum``,
            ``video_id`` and ``labels``; ``members`` maps extensions
            (``wav``, ``frame_3.jpg``, ``mp4``, ...) to bytes.

    Returns:
        dict: ``url`` (the file name), ``nsamples``, ``filesize``,
        ``sha256`` and ``samples`` (``[datum, video_id, labels, offset,
        length]`` each).
    """
    from webdataset import TarWriter
    path = Path(path)
    partial = path.with_name(f'{path.name}.part{os.getpid()}')
    spans: List[list] = []
    try:
        with open(partial, 'wb') as stream:
            writer = TarWriter(stream, encoder=False, mtime=MTIME)
            for meta, members in samples:
                record = {
                    '__key__': sample_key(meta['datum']),
                    META_MEMBER: json.dumps(meta).encode(),
                    **members
                }
                start = writer.tarstream.offset
                writer.write(record)
                spans.append([
                    meta['datum'], meta['video_id'], meta['labels'], start,
                    writer.tarstream.offset - start
                ])
            writer.close()
            stream.flush()
            os.fsync(stream.fileno())
        entry = dict(
            url=path.name,
            nsamples=len(spans),
            filesize=partial.stat().st_size,
            sha256=file_sha256(partial),
            samples=spans)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return entry


def write_manifest(path: Path, shards: List[Dict], name: str, datalist: str,
                   datalist_size: int, excluded: List[Dict]) -> Path:
    """Writes the manifest of ``shards`` (their entries) atomically."""
    from cavmae_mm.version import __version__
    manifest = {
        '__kind__': MANIFEST_KIND,
        'wids_version': 1,
        'name': name,
        'cavmae_mm': {
            'format_version': FORMAT_VERSION,
            'packed_with': f'cavmae_mm {__version__}',
            'datalist': datalist,
            'datalist_size': datalist_size,
            'num_samples': sum(s['nsamples'] for s in shards),
            'total_bytes': sum(s['filesize'] for s in shards),
            'excluded': excluded,
        },
        'shardlist': shards,
    }
    text = io.StringIO()
    dump_json(manifest, text)
    return write_text_atomic(path, text.getvalue())


def write_text_atomic(path: Path, text: str) -> Path:
    """Writes ``text`` to a temporary name beside ``path``, then renames
    it: a reader never sees a half-written file."""
    path = Path(path)
    partial = path.with_name(f'{path.name}.part{os.getpid()}')
    partial.write_text(text, encoding='utf-8')
    os.replace(partial, path)
    return path
