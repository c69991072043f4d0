"""Checkpoint arguments that are URLs: downloaded once into a cache.

A URL is downloaded into torch hub's checkpoint cache
(``$TORCH_HOME/hub/checkpoints``), named after the URL's last path part, and
read from there afterwards.
"""
import hashlib
import os
from pathlib import Path
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log

from .errors import CheckpointError


def is_url(source: str) -> bool:
    """Whether a checkpoint argument is an http(s) URL."""
    return str(source).startswith(('http://', 'https://'))


def cache_dir() -> Path:
    """Where downloaded checkpoints are kept: torch hub's checkpoint cache."""
    return Path(torch.hub.get_dir()) / 'checkpoints'


def cached_file(url: str) -> Path:
    """The cache file of ``url``: its last path part (``?dl=1`` and other
    queries dropped), as torch hub names its cached checkpoints. A last part
    without a suffix (a download endpoint such as Google Drive's
    ``.../download?id=...``, whose file is named by the query) gets the
    first 8 hex digits of the URL's SHA-256 and ``.pth``, so that two such
    URLs do not share a file.

    Raises:
        CheckpointError: The URL names no file.
    """
    name = os.path.basename(urlparse(url).path)
    if not name:
        raise CheckpointError(f'{url}: the URL names no file')
    if '.' not in name:
        digest = hashlib.sha256(url.encode()).hexdigest()[:8]
        name = f'{name}-{digest}.pth'
    return cache_dir() / name


def fetch_to(url: str, target: Path) -> None:
    """Downloads ``url`` to ``target`` through a ``.partial`` file, so that
    an interrupted download never looks complete.

    Raises:
        CheckpointError: The download failed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    print_log(f'downloading {url} to {target}', logger='current')
    partial = target.with_name(target.name + '.partial')
    try:
        torch.hub.download_url_to_file(url, str(partial), progress=True)
    except OSError as err:  # URLError and HTTPError are OSErrors
        partial.unlink(missing_ok=True)
        raise CheckpointError(f'{url}: download failed ({err})') from err
    os.replace(partial, target)


def download(url: str) -> Path:
    """Downloads ``url`` once into :func:`cache_dir` and returns the file;
    a file already there is used without downloading again.

    Raises:
        CheckpointError: The URL names no file, or the download failed.
    """
    target = cached_file(url)
    if target.is_file():
        print_log(f'{url}: using the cached {target}', logger='current')
        return target
    fetch_to(url, target)
    return target


def local_file(source: str) -> Path:
    """The local file of a checkpoint argument (downloading a URL).

    Raises:
        FileNotFoundError: A path that is no file.
        CheckpointError: See :func:`download`.
    """
    if is_url(source):
        return download(source)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: checkpoint not found')
    return path
