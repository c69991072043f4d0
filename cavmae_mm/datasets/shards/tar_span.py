"""The members of one sample, parsed from its byte span in a tar shard."""
import tarfile
from typing import Dict, Tuple

BLOCK = tarfile.BLOCKSIZE


def _padded(size: int) -> int:
    return (size + BLOCK - 1) // BLOCK * BLOCK


def parse_span(data: bytes, where: str) -> Tuple[str, Dict[str, bytes]]:
    """Splits a sample's consecutive tar members into ``(key, members)``.

    Args:
        data (bytes): The sample's span (headers, contents, padding).
        where (str): The shard and key, for the messages.

    Returns:
        tuple: The WebDataset key and ``{extension: bytes}``.

    Raises:
        ValueError: A header is corrupt (bad checksum), a member is cut
            short, or the members do not share one key.
    """
    members: Dict[str, bytes] = {}
    key = None
    offset = 0
    view = memoryview(data)
    while offset < len(data):
        try:
            info = tarfile.TarInfo.frombuf(
                bytes(view[offset:offset + BLOCK]), 'utf-8', 'surrogateescape')
        except tarfile.HeaderError as err:
            raise ValueError(f'{where}: corrupt tar header at byte {offset} '
                             f'of the sample ({err})') from err
        start = offset + BLOCK
        if not info.isreg():
            raise ValueError(f'{where}: unexpected tar member {info.name!r} '
                             f'(type {info.type!r})')
        if start + info.size > len(data):
            raise ValueError(f'{where}: member {info.name} is cut short')
        name_key, _, extension = info.name.partition('.')
        if key is None:
            key = name_key
        elif name_key != key:
            raise ValueError(f'{where}: member {info.name} belongs to '
                             f'another sample than {key}')
        members[extension] = bytes(view[start:start + info.size])
        offset = start + _padded(info.size)
    if key is None:
        raise ValueError(f'{where}: empty sample span')
    return key, members
