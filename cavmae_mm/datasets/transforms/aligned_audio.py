"""CAV-MAE Sync's audio input: the segment of the clip's fbank centred on
each chosen frame."""
from typing import Dict, Sequence

from mmcv.transforms import BaseTransform

from cavmae_mm.audio import cut_segments, segment_bounds
from cavmae_mm.registry import TRANSFORMS

__all__ = ['AlignAudioToFrames', 'segment_bounds']


@TRANSFORMS.register_module()
class AlignAudioToFrames(BaseTransform):
    """Cuts, for each chosen frame, the audio segment centred on it.

    Follows ``AudioFrontEnd(clip_length=...)`` (the whole clip's normalised
    fbank) and a frame choice (``SelectFrames``, ``SelectVideoFrames`` or
    ``DecodeOfficialFrames`` with the same ``num_frames``): the segment of
    frame slot k is given by :func:`segment_bounds`. The slot is the frame
    wanted, so a frame replaced by an earlier one (missing file) keeps the
    audio of its own time, as the official retrieval loader does.

    Required Keys:
        - audios (Tensor [clip_length, F])
        - frame_slots (list[int]) (else frame_inds)
        - num_frames (int)

    Modified Keys:
        - audios (Tensor [target_length, F] for one frame, [K, target_length,
          F] for K frames)

    Args:
        target_length (int): Fbank frames of a segment (the model's input
            geometry). Defaults to 416.
    """

    def __init__(self, target_length: int = 416) -> None:
        if target_length < 1:
            raise ValueError(f'target_length must be >= 1, got '
                             f'{target_length}')
        self.target_length = target_length

    @staticmethod
    def _slots(results: Dict) -> Sequence[int]:
        slots = results.get('frame_slots', results.get('frame_inds'))
        if slots is None or 'num_frames' not in results:
            raise KeyError('AlignAudioToFrames needs frame_slots and '
                           'num_frames from a frame choice transform '
                           '(SelectFrames, SelectVideoFrames, '
                           'DecodeOfficialFrames) before it')
        return [int(s) for s in slots]

    def transform(self, results: Dict) -> Dict:
        fbank = results['audios']
        if fbank.shape[0] < self.target_length:
            raise ValueError(
                f'{results.get("audio_path", results.get("filename"))}: the '
                f'clip fbank has {fbank.shape[0]} frames, fewer than a '
                f'{self.target_length}-frame segment (set AudioFrontEnd\'s '
                'clip_length)')
        results['audios'] = cut_segments(fbank, self._slots(results),
                                         results['num_frames'],
                                         self.target_length)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'target_length={self.target_length})')
