"""Frame transforms: which extracted frame to use, decoding, resizing."""
import io
import os.path as osp
import random
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torchvision.transforms.functional as TF
from mmcv.transforms import BaseTransform
from PIL import Image, UnidentifiedImageError

from cavmae_mm.registry import TRANSFORMS
from cavmae_mm.utils.video_io import official_frame_indices, usable_frame_count

FRAME_MODES = ('random', 'fixed', 'all')


def resize_center_crop(image: Image.Image,
                       size: int,
                       interpolation: str = 'bicubic') -> Image.Image:
    """Resizes the short side to ``size`` and centre-crops a square, as
    torchvision's ``Resize(size)`` + ``CenterCrop(size)`` on a PIL image."""
    mode = TF.InterpolationMode(interpolation)
    image = TF.resize(image, size, interpolation=mode)
    return TF.center_crop(image, [size, size])


def choose_slots(mode: str, frame_use: int, num_frames: int) -> List[int]:
    """Which of the ``num_frames`` evenly spaced frames a clip uses:
    one uniformly at random (Python's ``random``, as the reference), the
    fixed ``frame_use``, or all of them."""
    if mode == 'random':
        return [random.randint(0, num_frames - 1)]
    if mode == 'fixed':
        return [frame_use]
    return list(range(num_frames))


class _FrameChoice(BaseTransform):
    """Validated ``mode`` / ``frame_use`` / ``num_frames`` settings."""

    def __init__(self,
                 mode: str = 'fixed',
                 frame_use: Optional[int] = None,
                 num_frames: int = 10) -> None:
        if mode not in FRAME_MODES:
            raise ValueError(f'mode must be one of {FRAME_MODES}, got '
                             f'{mode!r}')
        self.mode = mode
        self.num_frames = num_frames
        self.frame_use = num_frames // 2 if frame_use is None else frame_use
        if not 0 <= self.frame_use < num_frames:
            raise ValueError(f'frame_use must be in [0, {num_frames}), got '
                             f'{self.frame_use}')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'frame_use={self.frame_use}, num_frames={self.num_frames})')


def frame_file(video_path: str, video_id: str, index: int) -> Path:
    """``{video_path}/frame_{index}/{video_id}.jpg``, the extracted layout."""
    return Path(video_path) / f'frame_{index}' / f'{video_id}.jpg'


@TRANSFORMS.register_module()
class SelectFrames(_FrameChoice):
    """Chooses the extracted frame(s) of a clip.

    'random' (training) draws an index uniformly in ``[0, num_frames)`` with
    Python's ``random`` as the reference; 'fixed' (evaluation) uses
    ``frame_use`` (default the middle, ``num_frames // 2``); 'all' (multi-frame
    testing) uses every index. A missing frame falls back to the nearest
    earlier one that exists; if none exists the error names the folder.

    Required Keys:
        - video_path
        - video_id
        - frame_bytes (optional: ``{index: bytes}`` of the clip's frames,
          e.g. from a shard, used instead of the files)

    Added Keys:
        - frame_paths (list[str])
        - frame_inds (list[int]): the frames read
        - frame_slots (list[int]): the frames wanted (the same unless one
          was missing), on the grid of ``num_frames``
        - num_frames (int)

    Args:
        mode (str): 'random', 'fixed' or 'all'. Defaults to 'fixed'.
        frame_use (int, optional): The 'fixed' index.
        num_frames (int): Frames extracted per clip. Defaults to 10.
    """

    @staticmethod
    def _existing(video_path: str, video_id: str, index: int,
                  exists: Callable[[int], bool]) -> int:
        wanted = index
        while index >= 1 and not exists(index):
            index -= 1
        if not exists(index):
            raise FileNotFoundError(
                f'{frame_file(video_path, video_id, wanted)}: no frame '
                f'{wanted} or earlier of {video_id} under {video_path}')
        return index

    def transform(self, results: Dict) -> Dict:
        wanted = choose_slots(self.mode, self.frame_use, self.num_frames)
        video_path, video_id = results['video_path'], results['video_id']
        stored = results.get('frame_bytes')
        if stored is not None:
            exists = stored.__contains__
        else:

            def exists(i: int) -> bool:  # os.path: a third of pathlib's cost
                return osp.isfile(f'{video_path}/frame_{i}/{video_id}.jpg')

        inds = [
            self._existing(video_path, video_id, i, exists) for i in wanted
        ]
        results['frame_inds'] = inds
        results['frame_slots'] = wanted
        results['num_frames'] = self.num_frames
        results['frame_paths'] = [
            str(frame_file(video_path, video_id, i)) for i in inds
        ]
        return results


@TRANSFORMS.register_module()
class SelectVideoFrames(_FrameChoice):
    """Chooses frame indices of a video file, for on-the-fly decoding.

    The candidates are the frames the official extraction reads:
    ``max(int(i * N / n) - 1, 0)`` for ``i < n`` with
    ``N = min(total_frames, int(fps * max_seconds))`` (see
    :func:`cavmae_mm.utils.video_io.official_frame_indices`);
    ``mode`` picks among them as :class:`SelectFrames` does. Use after
    MMAction2's ``DecordInit`` and before its ``DecordDecode``.

    Required Keys:
        - total_frames
        - avg_fps

    Added Keys:
        - frame_inds (np.ndarray of int)
        - frame_slots (list[int]): the chosen slots of the ``num_frames``
        - num_frames (int)

    Args:
        mode (str): 'random', 'fixed' or 'all'. Defaults to 'fixed'.
        frame_use (int, optional): The 'fixed' slot (default the middle).
        num_frames (int): Candidate frames. Defaults to 10.
        max_seconds (float): Length of the clip considered. Defaults to 10.
    """

    def __init__(self,
                 mode: str = 'fixed',
                 frame_use: Optional[int] = None,
                 num_frames: int = 10,
                 max_seconds: float = 10.0) -> None:
        super().__init__(mode, frame_use, num_frames)
        self.max_seconds = max_seconds

    def transform(self, results: Dict) -> Dict:
        usable = usable_frame_count(results['total_frames'],
                                    results['avg_fps'], self.max_seconds)
        if usable < 1:
            raise ValueError(f'{results.get("filename")}: no frames to '
                             'decode')
        candidates = official_frame_indices(usable, self.num_frames)
        slots = choose_slots(self.mode, self.frame_use, self.num_frames)
        results['frame_inds'] = np.array([candidates[i] for i in slots])
        results['frame_slots'] = slots
        results['num_frames'] = self.num_frames
        return results


@TRANSFORMS.register_module()
class LoadFrames(BaseTransform):
    """Decodes the selected JPEG frames as RGB PIL images.

    Required Keys:
        - frame_paths
        - frame_inds and frame_bytes (optional: the frames' bytes, decoded
          instead of the files)

    Added Keys:
        - imgs (list[PIL.Image.Image])

    Removed Keys:
        - frame_bytes
    """

    def transform(self, results: Dict) -> Dict:
        images: List[Image.Image] = []
        stored = results.pop('frame_bytes', None)
        for i, path in enumerate(results['frame_paths']):
            source = path if stored is None else io.BytesIO(
                stored[results['frame_inds'][i]])
            try:
                with Image.open(source) as image:
                    image.load()  # decoded before the file closes
                    images.append(image if image.mode ==
                                  'RGB' else image.convert('RGB'))
            except (UnidentifiedImageError, OSError) as err:
                raise ValueError(f'{path}: cannot decode frame ({err})') \
                    from err
        results['imgs'] = images
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


@TRANSFORMS.register_module()
class ResizeCenterCrop(BaseTransform):
    """PIL-bicubic resize of the short side, centre crop, to uint8 tensors.

    The result is what the reference's ``Resize(size, BICUBIC)`` and
    ``CenterCrop(size)`` give, kept as uint8 (normalisation happens in the
    data preprocessor, on the device).

    Required Keys:
        - imgs (list of PIL images or RGB uint8 arrays [H, W, 3], e.g.
          from MMAction2's ``DecordDecode``)

    Modified Keys:
        - imgs (Tensor uint8 [3, frame_size, frame_size] for one frame,
          [N, 3, frame_size, frame_size] for several)

    Added Keys:
        - img_shape

    Args:
        frame_size (int): Output side (the model's input geometry).
            Defaults to 224.
        interpolation (str): PIL resampling, 'bicubic' as the reference's
            data loader. Defaults to 'bicubic'.
    """

    def __init__(self,
                 frame_size: int = 224,
                 interpolation: str = 'bicubic') -> None:
        self.frame_size = frame_size
        self.interpolation = interpolation
        TF.InterpolationMode(interpolation)  # fails early on a bad name

    def _one(self, image) -> torch.Tensor:
        if isinstance(image, np.ndarray):
            image = Image.fromarray(image)
        image = resize_center_crop(image, self.frame_size, self.interpolation)
        return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)

    def transform(self, results: Dict) -> Dict:
        frames = [self._one(image) for image in results['imgs']]
        results['imgs'] = frames[0] if len(frames) == 1 else \
            torch.stack(frames)
        results['img_shape'] = (self.frame_size, self.frame_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(frame_size={self.frame_size}, '
                f'interpolation={self.interpolation!r})')


__all__ = [
    'SelectFrames', 'SelectVideoFrames', 'LoadFrames', 'ResizeCenterCrop',
    'frame_file', 'resize_center_crop', 'choose_slots'
]
