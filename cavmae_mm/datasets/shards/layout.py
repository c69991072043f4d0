"""What a CAV-MAE sample looks like in a WebDataset shard, and the
manifest that indexes the shards.

A shard is a plain (USTAR) tar file in the WebDataset convention: the
members of one sample share a key (the datum's index in its datalist,
zero-padded) and differ by their extension::

    000000123.json           {"video_id", "labels", "datum"}
    000000123.wav            the extracted wav, byte for byte
    000000123.frame_0.jpg    the extracted frames that exist, byte for byte
    ...
    000000123.frame_9.jpg
    000000123.mp4            (instead of wav and frames) a raw video file

The manifest (``manifest.json`` beside the shards) is a WebDataset shard
index (``wids`` reads it: ``shardlist`` with ``url`` and ``nsamples``) plus
what a random-access reader needs: the byte span of every sample in its
shard, and each shard's size and SHA-256.
"""
import json
import re
from typing import Dict, List, Optional, Sequence, Tuple

MANIFEST_NAME = 'manifest.json'
MANIFEST_KIND = 'wids-shard-index-v1'
FORMAT_VERSION = 1
META_MEMBER = 'json'
WAV_MEMBER = 'wav'
KEY_DIGITS = 9
_FRAME = re.compile(r'^frame_(\d+)\.jpg$')


def sample_key(datum: int) -> str:
    """The WebDataset key of datalist datum ``datum``."""
    return f'{datum:0{KEY_DIGITS}d}'


def frame_member(index: int) -> str:
    """The member name (extension) of extracted frame ``index``."""
    return f'frame_{index}.jpg'


def frame_index(member: str) -> Optional[int]:
    """The frame index of a member name, None for other members."""
    match = _FRAME.match(member)
    return int(match.group(1)) if match else None


def shard_name(index: int) -> str:
    """The file name of shard ``index``."""
    return f'shard-{index:06d}.tar'


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names it and why."""


def _require(condition: bool, where: str, reason: str) -> None:
    if not condition:
        raise ManifestError(f'{where}: {reason}')


def validate_manifest(manifest: Dict, where: str) -> Dict:
    """Checks the structure of a loaded manifest and returns it.

    Args:
        manifest (dict): The parsed JSON.
        where (str): Its path or URL, for the messages.

    Raises:
        ManifestError: A field is missing or inconsistent (named).
    """
    _require(
        isinstance(manifest, dict)
        and manifest.get('__kind__') == MANIFEST_KIND, where,
        f'not a shard manifest (no "__kind__": "{MANIFEST_KIND}"); '
        'write one with tools/data/pack_shards.py')
    cavmae = manifest.get('cavmae_mm')
    _require(
        isinstance(cavmae, dict)
        and cavmae.get('format_version') == FORMAT_VERSION, where,
        f'manifest format {cavmae and cavmae.get("format_version")}, this '
        f'version reads {FORMAT_VERSION}')
    shards = manifest.get('shardlist')
    _require(isinstance(shards, list) and bool(shards), where, 'no shards')
    for i, shard in enumerate(shards):
        for key in ('url', 'nsamples', 'filesize', 'sha256', 'samples'):
            _require(key in shard, where, f'shard {i} lacks "{key}"')
        _require(
            len(shard['samples']) == shard['nsamples'], where,
            f'shard {shard["url"]} lists {len(shard["samples"])} samples, '
            f'nsamples says {shard["nsamples"]}')
    return manifest


def manifest_samples(manifest: Dict) -> List[Tuple]:
    """Every sample of the manifest in datalist order, as ``(datum,
    video_id, labels, shard, offset, length)``: ``shard`` indexes
    ``shardlist``, ``offset`` and ``length`` are its byte span there."""
    samples = [(datum, video_id, labels, shard_idx, offset, length)
               for shard_idx, shard in enumerate(manifest['shardlist'])
               for datum, video_id, labels, offset, length in shard['samples']]
    samples.sort(key=lambda sample: sample[0])
    return samples


def dump_json(data: Dict, handle) -> None:
    """The manifests' JSON style (compact, one shard per line)."""
    shards: Sequence = data.get('shardlist', ())
    head = {k: v for k, v in data.items() if k != 'shardlist'}
    text = json.dumps(head, indent=1)[:-2]
    lines = ',\n'.join(json.dumps(s, separators=(',', ':')) for s in shards)
    handle.write(f'{text},\n "shardlist": [\n{lines}\n]}}\n')
