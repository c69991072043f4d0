"""Transforms that read a raw video or audio file the way the official
extraction tools would have prepared it, for inference without extraction.

``DecodeAudio`` stands for the official audio extraction + ``LoadAudio``;
``DecodeOfficialFrames`` for the official frame extraction +
``SelectFrames`` + ``LoadFrames``. The rest of a config's test pipeline
(fbank, normalisation, resize/crop) follows unchanged.
"""
from typing import Dict, Optional

from mmcv.transforms import BaseTransform
from PIL import Image

from cavmae_mm.registry import TRANSFORMS
from cavmae_mm.utils.audio_io import load_audio_as_extracted
from cavmae_mm.utils.video_io import read_official_frames
from .frames import _FrameChoice, choose_slots, resize_center_crop


@TRANSFORMS.register_module()
class DecodeAudio(BaseTransform):
    """Reads the audio of a video or audio file as 16 kHz mono.

    What the official extraction writes (FFmpeg resampling, first channel),
    without its 16-bit rounding; a file that is already mono at
    ``sample_rate`` is read exactly as ``LoadAudio`` reads it. A conversion
    is described in one line under ``audio_note`` (inference logs it).
    Empty audio and NaN / infinite samples are errors naming the file.
    Digital silence (every sample 0) is flagged, not
    rejected: the caller decides (inference treats it as a missing audio
    track).

    Required Keys:
        - filename

    Added Keys:
        - waveform (Tensor [1, N], float32)
        - sample_rate (int)
        - audio_silent (bool)
        - audio_note (str or None)

    Args:
        sample_rate (int): Output rate. Defaults to 16000.
    """

    def __init__(self, sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate

    def transform(self, results: Dict) -> Dict:
        waveform, note = load_audio_as_extracted(results['filename'],
                                                 self.sample_rate)
        results['audio_note'] = note
        results['waveform'] = waveform
        results['sample_rate'] = self.sample_rate
        results['audio_silent'] = not bool(waveform.abs().max() > 0)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sample_rate={self.sample_rate})'


@TRANSFORMS.register_module()
class DecodeOfficialFrames(_FrameChoice):
    """Reads the frames the official extraction picks from a video file.

    The video's ``num_frames`` candidate frames are the official extraction
    points (OpenCV, one seek per frame; see
    :func:`cavmae_mm.utils.video_io.read_official_frames`); ``mode`` picks
    among them as :class:`SelectFrames` picks among extracted files
    ('fixed': ``frame_use``; 'all': every one; 'random': one at random).
    Each frame is resized as the extraction resizes before saving (short
    side to ``extract_size``, bilinear, centre crop), so the config's
    ``ResizeCenterCrop`` then sees what it sees on extracted frames, minus
    the JPEG compression.

    Required Keys:
        - filename

    Added Keys:
        - imgs (list[PIL.Image.Image])
        - frame_inds (list[int]): the video frame indices read
        - frame_slots (list[int]): the chosen slots of the ``num_frames``
        - num_frames (int)

    Args:
        mode (str): 'random', 'fixed' or 'all'. Defaults to 'fixed'.
        frame_use (int, optional): The 'fixed' slot (default the middle).
        num_frames (int): Candidate frames. Defaults to 10.
        max_seconds (float): Length of the clip considered. Defaults to 10.
        extract_size (int, optional): The extraction's resize; None keeps
            the decoded size. Defaults to 224.
    """

    def __init__(self,
                 mode: str = 'fixed',
                 frame_use: Optional[int] = None,
                 num_frames: int = 10,
                 max_seconds: float = 10.0,
                 extract_size: Optional[int] = 224) -> None:
        super().__init__(mode, frame_use, num_frames)
        self.max_seconds = max_seconds
        self.extract_size = extract_size

    def transform(self, results: Dict) -> Dict:
        slots = choose_slots(self.mode, self.frame_use, self.num_frames)
        frames, indices = read_official_frames(results['filename'],
                                               self.num_frames,
                                               self.max_seconds, slots)
        images = []
        for frame in frames:
            image = Image.fromarray(frame)
            if self.extract_size:
                image = resize_center_crop(image, self.extract_size,
                                           'bilinear')
            images.append(image)
        results['imgs'] = images
        results['frame_inds'] = indices
        results['frame_slots'] = slots
        results['num_frames'] = self.num_frames
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'frame_use={self.frame_use}, num_frames={self.num_frames}, '
                f'max_seconds={self.max_seconds}, '
                f'extract_size={self.extract_size})')


__all__ = ['DecodeAudio', 'DecodeOfficialFrames']
