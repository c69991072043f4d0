"""CAV-MAE Sync's audio input: the segments of a clip's fbank centred on its
chosen frames (used by the transform ``AlignAudioToFrames`` and by
``FbankOnDevice`` with a ``clip_length``)."""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def segment_bounds(slot: int, num_frames: int, clip_length: int,
                   target_length: int) -> Tuple[int, int]:
    """[start, end) of the ``target_length`` fbank frames centred on frame
    ``slot`` of ``num_frames`` evenly spaced frames of a clip of
    ``clip_length`` fbank frames, moved inside the clip at its ends.

    The centre is ``round(slot * clip_length / num_frames)`` (Python's
    round, as the official ``map_frame_to_spectrogram``); with 16 frames of
    a 1024-frame clip, frame k is centred on fbank frame 64 k.
    """
    if not 0 <= slot < num_frames:
        raise ValueError(f'frame slot {slot} is outside [0, {num_frames})')
    centre = int(round(slot * clip_length / num_frames))
    start = max(0, centre - target_length // 2)
    end = start + target_length
    if end > clip_length:
        end = clip_length
        start = max(0, end - target_length)
    return start, end


def cut_segments(fbank: Tensor, slots: Sequence[int], num_frames: int,
                 target_length: int) -> Tensor:
    """The segments of one clip's fbank [clip_length, F] for frame
    ``slots`` of ``num_frames``: [target_length, F] for one slot, else
    [K, target_length, F]."""
    clip_length = fbank.shape[0]
    if clip_length < target_length:
        raise ValueError(f'the clip fbank has {clip_length} frames, fewer '
                         f'than a {target_length}-frame segment')
    segments = [
        fbank[slice(*segment_bounds(
            int(slot), num_frames, clip_length, target_length))]
        for slot in slots
    ]
    return segments[0] if len(segments) == 1 else torch.stack(segments)
