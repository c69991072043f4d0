"""Where shards are read from: a local folder, or a URL whose shards are
copied once into a local cache.

Every read of a sample is a view of its byte span in the shard, mapped
into memory (``mmap``): only the members a pipeline uses are copied out;
the mapped shards of a process are kept in a small LRU. Remote shards
(``http://``, ``https://``, and the schemes WebDataset's ``gopen`` reads,
e.g. ``gs://`` through gsutil) are downloaded
whole into ``cache_dir`` under a temporary name, checked against the
manifest's size and SHA-256, and renamed into place, so that a process
that is killed mid-download leaves no shard that looks complete; the
processes of one node share the cache (a lock file per shard keeps them
from downloading it twice).
"""
import fcntl
import hashlib
import json
import mmap
import os
import os.path as osp
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Dict, Optional
from urllib.parse import urlparse

from .layout import ManifestError, validate_manifest

#: Seconds before an HTTP request gives up.
HTTP_TIMEOUT = 60
_CHUNK = 1 << 20


class ShardError(OSError):
    """A shard cannot be opened or read; the message names it and why."""


def is_remote(location: str) -> bool:
    """Whether ``location`` is a URL (not a local path)."""
    return '://' in location and urlparse(location).scheme not in ('', 'file')


def join_location(base: str, name: str) -> str:
    """``name`` inside folder or URL ``base``."""
    if is_remote(base):
        return base.rstrip('/') + '/' + name
    if base.startswith('file://'):
        base = urlparse(base).path
    return osp.join(base, name)


def _open_remote(url: str):
    """A readable binary stream of ``url``."""
    scheme = urlparse(url).scheme
    if scheme in ('http', 'https'):
        try:
            return urllib.request.urlopen(url, timeout=HTTP_TIMEOUT)
        except urllib.error.HTTPError as err:
            raise ShardError(f'{url}: HTTP {err.code} {err.reason}') from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, 'reason', err)
            raise ShardError(f'{url}: unreachable ({reason})') from err
    from webdataset.gopen import gopen  # gs://, ais://, hf:// ...
    try:
        return gopen(url, 'rb')
    except (OSError, ValueError) as err:
        raise ShardError(f'{url}: cannot open ({err})') from err


def read_manifest(location: str) -> Dict:
    """Loads and checks the manifest at a path or URL.

    Raises:
        FileNotFoundError: A local manifest does not exist.
        ShardError: A remote one cannot be fetched.
        ManifestError: It is not a valid manifest.
    """
    if is_remote(location):
        with _open_remote(location) as stream:
            text = stream.read()
    else:
        if location.startswith('file://'):
            location = urlparse(location).path
        if not osp.isfile(location):
            raise FileNotFoundError(f'{location}: shard manifest not found '
                                    '(write it with tools/data/'
                                    'pack_shards.py)')
        with open(location, 'rb') as handle:
            text = handle.read()
    try:
        manifest = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ManifestError(f'{location}: malformed JSON ({err})') from err
    return validate_manifest(manifest, location)


def default_cache_dir() -> str:
    """``$CAVMAE_SHARD_CACHE``, else ``~/.cache/cavmae_mm/shards``."""
    return os.environ.get(
        'CAVMAE_SHARD_CACHE',
        osp.join(osp.expanduser('~'), '.cache', 'cavmae_mm', 'shards'))


def cache_path(cache_dir: str, url: str) -> str:
    """The local copy of ``url``: a folder per remote dataset."""
    folder = hashlib.sha256(url.rsplit('/', 1)[0].encode()).hexdigest()[:16]
    return osp.join(cache_dir, folder, url.rsplit('/', 1)[-1])


def download_shard(url: str, local: str, size: int, sha256: str) -> None:
    """Copies ``url`` to ``local`` (atomically), checking size and hash.

    Raises:
        ShardError: Unreachable, or the bytes are not the manifest's.
    """
    os.makedirs(osp.dirname(local), exist_ok=True)
    with open(local + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if osp.isfile(local) and osp.getsize(local) == size:
            return  # another process of this node fetched it meanwhile
        partial = f'{local}.part{os.getpid()}'
        digest = hashlib.sha256()
        try:
            with _open_remote(url) as stream, open(partial, 'wb') as out:
                for chunk in iter(lambda: stream.read(_CHUNK), b''):
                    digest.update(chunk)
                    out.write(chunk)
            got = osp.getsize(partial)
            if got != size:
                raise ShardError(f'{url}: downloaded {got} bytes, the '
                                 f'manifest says {size} (truncated?)')
            if digest.hexdigest() != sha256:
                raise ShardError(f'{url}: SHA-256 of the download differs '
                                 'from the manifest (corrupt or changed '
                                 'shard)')
            os.replace(partial, local)
        finally:
            if osp.exists(partial):
                os.remove(partial)


class ShardStore:
    """Reads byte spans of the shards of one manifest.

    Args:
        base (str): Folder or URL of the shards (the manifest's folder).
        shards (list[dict]): The manifest's ``shardlist``.
        cache_dir (str, optional): Local copies of remote shards; default
            :func:`default_cache_dir`.
        max_open (int): Open shard files kept per process. Defaults to 16.
    """

    def __init__(self,
                 base: str,
                 shards,
                 cache_dir: Optional[str] = None,
                 max_open: int = 16) -> None:
        self.base = base
        self.remote = is_remote(base)
        self.shards = shards
        self.cache_dir = cache_dir or default_cache_dir()
        self.max_open = max_open
        self._open: 'OrderedDict[int, mmap.mmap]' = OrderedDict()
        self.opens = 0  # files opened by this process (for the benchmark)

    def location(self, shard: int) -> str:
        """The path or URL of shard ``shard``."""
        return join_location(self.base, self.shards[shard]['url'])

    def _local_file(self, shard: int) -> str:
        desc = self.shards[shard]
        where = self.location(shard)
        if not self.remote:
            return where
        local = cache_path(self.cache_dir, where)
        if not (osp.isfile(local) and osp.getsize(local) == desc['filesize']):
            download_shard(where, local, desc['filesize'], desc['sha256'])
        return local

    def _mapping(self, shard: int) -> mmap.mmap:
        if shard in self._open:
            self._open.move_to_end(shard)
            return self._open[shard]
        path = self._local_file(shard)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as err:
            raise ShardError(f'{self.location(shard)}: cannot open shard '
                             f'({err.strerror})') from err
        try:
            size, expected = os.fstat(fd).st_size, \
                self.shards[shard]['filesize']
            if size != expected:
                raise ShardError(f'{self.location(shard)}: {size} bytes, '
                                 f'the manifest says {expected} (truncated '
                                 'or replaced shard)')
            mapping = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)  # the mapping keeps the file
        self.opens += 1
        self._open[shard] = mapping
        if len(self._open) > self.max_open:
            # dropped, not closed: a sample may still hold a view of it,
            # and the mapping goes when the last view does
            self._open.popitem(last=False)
        return mapping

    def read(self, shard: int, offset: int, length: int) -> memoryview:
        """The ``length`` bytes at ``offset`` of shard ``shard``, as a view
        of the mapped shard (nothing is copied until a member is used)."""
        data = memoryview(self._mapping(shard))[offset:offset + length]
        if len(data) != length:
            raise ShardError(f'{self.location(shard)}: {len(data)} of '
                             f'{length} bytes at offset {offset} '
                             '(truncated shard)')
        return data

    def close(self) -> None:
        """Forgets the mapped shards (each is unmapped once unused)."""
        self._open.clear()

    def __getstate__(self) -> Dict:
        # mappings do not travel to spawned data loader workers
        state = dict(self.__dict__)
        state['_open'] = OrderedDict()
        return state


__all__ = [
    'ShardError', 'ShardStore', 'ManifestError', 'read_manifest',
    'download_shard', 'is_remote', 'join_location'
]
