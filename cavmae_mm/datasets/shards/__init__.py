"""WebDataset shards of CAV-MAE clips: their layout and manifest, where
they are read from, and the parsing of one sample's members."""
from .layout import (MANIFEST_NAME, ManifestError, frame_member, sample_key,
                     shard_name)
from .storage import ShardError, ShardStore, read_manifest
from .tar_span import parse_span

__all__ = [
    'MANIFEST_NAME', 'ManifestError', 'ShardError', 'ShardStore',
    'frame_member', 'parse_span', 'read_manifest', 'sample_key', 'shard_name'
]
