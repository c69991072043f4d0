"""The modality vocabulary: the encoder's paths and the paths a classifier
of each modality averages.

An encoder path names the modalities whose tokens it runs through the
shared blocks, the LayerNorm set it uses there and its final norm:

====================  ==================  ==========  ==========
path                  inputs              norm set    final norm
====================  ==================  ==========  ==========
``joint``             audio + visual      joint       ``norm``
``audio``             audio               audio       ``norm_a``
``visual``            visual              visual      ``norm_v``
``audio_joint``       audio               joint       ``norm``
``visual_joint``      visual              joint       ``norm``
``audio_specific``    audio               (none)      (none)
``visual_specific``   visual              (none)      (none)
====================  ==================  ==========  ==========

``audio_joint`` and ``visual_joint`` serve a model finetuned on both
modalities that is given one. The ``*_specific`` paths stop after the
modality-specific blocks (no shared block, no final norm): CAV-MAE Sync's
audio-visual classifier reads their global tokens.
Every path chains the shared blocks (block k reads block k-1's output). The
official pretraining encoder instead runs each shared block on the
modality-specific output for the audio and visual (contrastive) paths,
without chaining; with one shared block, as in every released model, the
two are the same. ``CAVMAE`` warns when it has more shared blocks.
"""
from typing import Dict, FrozenSet, Iterable, NamedTuple, Optional, Tuple

AUDIO, VISUAL = 'audio', 'visual'


class EncoderPath(NamedTuple):
    """One way through the encoder's shared blocks.

    Attributes:
        inputs (tuple[str]): The modalities whose tokens it reads, in
            concatenation order.
        norm_set (str, optional): The LayerNorm set of the shared blocks:
            'joint', 'audio' or 'visual'; None when the path stops before
            them.
        final_norm (str, optional): The encoder's final norm module (None
            with ``norm_set``).
    """
    inputs: Tuple[str, ...]
    norm_set: Optional[str]
    final_norm: Optional[str]


PATHS: Dict[str, EncoderPath] = {
    'joint': EncoderPath((AUDIO, VISUAL), 'joint', 'norm'),
    'audio': EncoderPath((AUDIO, ), 'audio', 'norm_a'),
    'visual': EncoderPath((VISUAL, ), 'visual', 'norm_v'),
    'audio_joint': EncoderPath((AUDIO, ), 'joint', 'norm'),
    'visual_joint': EncoderPath((VISUAL, ), 'joint', 'norm'),
    'audio_specific': EncoderPath((AUDIO, ), None, None),
    'visual_specific': EncoderPath((VISUAL, ), None, None),
}

#: A classifier's modality: the encoder paths whose mean-pooled outputs it
#: averages.
MODALITY_PATHS: Dict[str, Tuple[str, ...]] = {
    # both modalities through the shared block with the joint norms
    'audio_visual': ('joint', ),
    # a model finetuned (and tested) on one modality
    'audio': ('audio', ),
    'visual': ('visual', ),
    # a model finetuned on both, given one (the missing-modality
    # evaluation): the joint-norm and modality-norm passes of that
    # modality, averaged
    'audio_without_visual': ('audio_joint', 'audio'),
    'visual_without_audio': ('visual_joint', 'visual'),
}

#: The official code's names of the same modalities, accepted wherever a
#: modality is (configs, tools, APIs) and read as the names above.
OFFICIAL_MODALITY_NAMES: Dict[str, str] = {
    'multimodal': 'audio_visual',
    'audioonly': 'audio',
    'videoonly': 'visual',
    'missingaudioonly': 'audio_without_visual',
    'missingvideoonly': 'visual_without_audio',
}


def modality_name(modality: str) -> str:
    """The name of ``modality`` in :data:`MODALITY_PATHS` (an official name
    is read as its alias).

    Raises:
        ValueError: Unknown modality (the message lists the known ones).
    """
    name = OFFICIAL_MODALITY_NAMES.get(modality, modality)
    if name not in MODALITY_PATHS:
        raise ValueError(
            f'modality must be one of {list(MODALITY_PATHS)} (or the '
            f'official names {list(OFFICIAL_MODALITY_NAMES)}), got '
            f'{modality!r}')
    return name


def paths_of(modality: str) -> Tuple[str, ...]:
    """The encoder paths a classifier of ``modality`` averages.

    Raises:
        ValueError: Unknown modality (the message lists the known ones).
    """
    return MODALITY_PATHS[modality_name(modality)]


def modalities_of(modality: str) -> Tuple[str, ...]:
    """The modalities a classifier of ``modality`` reads, in concatenation
    order (audio first): the inputs of its encoder paths.

    Raises:
        ValueError: Unknown modality.
    """
    read = inputs_of(paths_of(modality))
    return tuple(m for m in (AUDIO, VISUAL) if m in read)


def inputs_of(paths: Iterable[str]) -> FrozenSet[str]:
    """The modalities the encoder ``paths`` read.

    Raises:
        ValueError: An unknown path (the message lists the known ones).
    """
    paths = list(paths)
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        raise ValueError(f'unknown encoder paths {unknown}; choose from '
                         f'{list(PATHS)}')
    return frozenset(m for p in paths for m in PATHS[p].inputs)
