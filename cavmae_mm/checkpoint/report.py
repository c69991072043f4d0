"""What a checkpoint lacks or has in excess, said per model part.

:func:`describe` and :func:`likely_cause` make the message of a checkpoint
that does not fit; :func:`log_unused_parts` and :func:`log_new_parts` are
the one line per part of a pretrained start.
"""
from collections import defaultdict
from typing import Dict, Iterable, List

from mmengine.logging import print_log
from torch import Tensor, nn

from .compare import REPLACEABLE, Comparison, mismatched_keys, part_of

#: Human names of the parts, for messages.
PART_NAMES = dict(
    backbone='encoder',
    neck='decoder',
    reconstruction_head='reconstruction head',
    contrastive_head='contrastive head',
    cls_head='classification head')
#: Names listed at most in a line about one part.
MAX_NAMES = 8


def part_name(part: str) -> str:
    """The human name of a part (``'encoder'`` for ``backbone``)."""
    return PART_NAMES.get(part, part)


def group(keys: Iterable[str]) -> str:
    """Tensor counts per part, e.g. ``encoder backbone.* (3)``."""
    counts: Dict[str, int] = defaultdict(int)
    for key in keys:
        counts[part_of(key)] += 1
    return ', '.join(f'{part_name(p)} {p}.* ({n})' for p, n in counts.items())


def describe(found: Comparison, limit: int = 6) -> str:
    """The missing, unexpected and reshaped tensors, in one sentence."""
    parts = []
    if found.missing:
        parts.append(f'{len(found.missing)} missing: {group(found.missing)}'
                     f' e.g. {", ".join(found.missing[:limit])}')
    if found.unexpected:
        parts.append(f'{len(found.unexpected)} not in the model: '
                     f'{group(found.unexpected)}')
    if found.mismatched:
        shapes = ', '.join(f'{k} {list(g)} vs model {list(w)}'
                           for k, g, w in found.mismatched[:limit])
        parts.append(f'{len(found.mismatched)} with other shapes: {shapes}')
    return '; '.join(parts)


def likely_cause(model: nn.Module, state: Dict[str, Tensor],
                 found: Comparison) -> str:
    """Why a checkpoint does not fit ``model``, as far as its parts and
    shapes tell (pretraining weights for a classifier, another class count,
    ...)."""
    parts = {part_of(k) for k in state}
    if hasattr(model, 'cls_head') and 'cls_head' not in parts and \
            'neck' in parts:
        return ('this is a pretraining checkpoint (it has the decoder, not '
                'a classification head): classification needs a finetuned '
                'checkpoint (the cavmae-ft_* entries of configs/metafile.yml)'
                '; pretrained weights serve the retrieval, feature and '
                'inpainting tools, or start a finetuning run')
    if hasattr(model, 'neck') and 'cls_head' in parts:
        return ('this is a finetuned classifier checkpoint: the '
                'pretraining, retrieval and inpainting models need a '
                'pretrained checkpoint (e.g. cavmae-scale++_as2m)')
    for key, got, want in found.mismatched:
        if key == 'cls_head.fc.weight':
            return (f'the checkpoint classifies {got[0]} classes, the config '
                    f'{want[0]} (model.cls_head.num_classes): use the config '
                    'the checkpoint was trained with')
    if found.mismatched:
        return 'the checkpoint was trained with other model sizes'
    return 'the checkpoint belongs to another model or config'


def keys_by_part(keys: Iterable[str]) -> Dict[str, List[str]]:
    """The keys grouped by part, parts sorted by name."""
    grouped: Dict[str, List[str]] = defaultdict(list)
    for key in keys:
        grouped[part_of(key)].append(key)
    return dict(sorted(grouped.items()))


def log_unused_parts(unexpected: List[str]) -> None:
    """One line per part the checkpoint has but the model lacks (e.g. a
    pretraining decoder when finetuning)."""
    for part, keys in keys_by_part(unexpected).items():
        print_log(
            f'{part_name(part)} ({part}): {len(keys)} tensors of the '
            'checkpoint not used, as expected for this model',
            logger='current')


def log_new_part(part: str, keys: List[str]) -> None:
    """The line of one part not (fully) taken from the checkpoint: a
    replaceable part is built anew; the tensors of another part keep their
    initial values and are named."""
    if part in REPLACEABLE:
        print_log(
            f'{part_name(part)} ({part}): {len(keys)} tensors initialised '
            'anew (not in the pretrained checkpoint, or another class '
            'count)',
            logger='current')
        return
    more = ' ...' if len(keys) > MAX_NAMES else ''
    print_log(
        f'{part_name(part)} ({part}): {len(keys)} tensors not in the '
        'checkpoint keep their initial values: '
        f'{", ".join(keys[:MAX_NAMES])}{more}',
        logger='current')


def log_new_parts(found: Comparison) -> None:
    """One line per part with tensors missing from the checkpoint or of
    another shape (missing ones first)."""
    keys = found.missing + mismatched_keys(found)
    for part, part_keys in keys_by_part(keys).items():
        log_new_part(part, part_keys)
