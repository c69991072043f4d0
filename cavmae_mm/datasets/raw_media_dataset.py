"""Raw video and audio files as model inputs, without offline extraction.

The data side of inference on raw files (the transforms that decode them
are in :mod:`cavmae_mm.datasets.transforms.decode`). A config's test
pipeline starts from extracted files (``LoadAudio``, ``SelectFrames`` +
``LoadFrames``) and ends with labels and packing.
:func:`split_test_pipeline` keeps what the pipeline does to the audio and to
the frames and replaces the loading steps by ``DecodeAudio`` and
``DecodeOfficialFrames``, which read a video or audio file the way the
official extraction tools would have prepared it; CAV-MAE Sync's
``AlignAudioToFrames`` cuts the audio segments of the chosen frame slots
(known without the video: the frame choice is not random at test time).
:class:`RawMediaLoader` then prepares one file: it chooses the modality
the model can serve for what the file holds and runs the audio and/or
frame steps.
"""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset

from cavmae_mm.models.modality import modalities_of, modality_name
from cavmae_mm.registry import TRANSFORMS
from cavmae_mm.utils.audio_io import AUDIO_EXTENSIONS, check_samples
from cavmae_mm.utils.video_io import (VIDEO_EXTENSIONS, MediaError,
                                      probe_streams)
from .transforms.frames import choose_slots, resize_center_crop

MEDIA_EXTENSIONS = VIDEO_EXTENSIONS + AUDIO_EXTENSIONS
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: Text files read as lists of inputs (one path per line).
LIST_EXTENSIONS = ('.txt', '.lst', '.list')

# How each step of a test pipeline carries over to raw files.
_AUDIO_LOADERS = ('LoadAudio', 'LoadAudioFromVideo')
_AUDIO_STEPS = ('AudioFrontEnd', 'KaldiFbank', 'PadCropFbank',
                'NormalizeFbank', 'WaveformAsInput')
_FRAME_CHOICE = ('SelectFrames', 'SelectVideoFrames')
#: Audio steps that need the frame choice (the slots of the chosen frames).
_ALIGN_STEPS = ('AlignAudioToFrames', )
_FRAME_LOADERS = ('LoadFrames', 'DecordInit', 'DecordDecode')
_FRAME_STEPS = ('ResizeCenterCrop', )
_LABEL_STEPS = ('EncodeLabels', )
_PACK = 'PackActionInputs'


class RawPipelines(NamedTuple):
    """Transform configs for the audio and the frames of a raw file."""
    audio: List[dict]
    visual: List[dict]


def _type(step) -> str:
    kind = step.get('type') if isinstance(step, dict) else None
    return kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                      str(kind))


def split_test_pipeline(pipeline: Sequence[dict]) -> RawPipelines:
    """The raw-file equivalents of a config's test pipeline.

    Raises:
        ValueError: A step that has no raw-file equivalent (e.g. a training
            augmentation); the message names it.
    """
    audio: List[dict] = []
    visual: List[dict] = []
    chosen = False  # a frame choice seen
    for step in pipeline:
        kind = _type(step)
        if kind in _ALIGN_STEPS:
            if not chosen:
                raise ValueError(f'the test pipeline runs {kind} before a '
                                 f'frame choice ({", ".join(_FRAME_CHOICE)})'
                                 ': it cuts the audio segments of the '
                                 'chosen frames')
            audio.append(dict(step))
        elif kind in _AUDIO_LOADERS:
            audio.append(
                dict(
                    type='DecodeAudio',
                    sample_rate=step.get('sample_rate', 16000)))
        elif kind in _AUDIO_STEPS:
            audio.append(dict(step))
        elif kind in _FRAME_CHOICE:
            options = {
                k: step[k]
                for k in ('mode', 'frame_use', 'num_frames', 'max_seconds')
                if k in step
            }
            visual.insert(0, dict(type='DecodeOfficialFrames', **options))
            chosen = True
        elif kind in _FRAME_STEPS:
            visual.append(dict(step))
        elif kind in _FRAME_LOADERS or kind in _LABEL_STEPS or kind == _PACK:
            continue
        else:
            raise ValueError(f'the test pipeline step {kind} has no '
                             'raw-file equivalent; inference supports '
                             f'{_AUDIO_LOADERS + _AUDIO_STEPS + _ALIGN_STEPS}'
                             ', '
                             f'{_FRAME_CHOICE + _FRAME_LOADERS + _FRAME_STEPS}'
                             f', {_LABEL_STEPS} and {_PACK}')
    if audio and _type(audio[0]) != 'DecodeAudio':
        raise ValueError('the test pipeline computes audio features before '
                         'loading audio')
    if visual and _type(visual[0]) != 'DecodeOfficialFrames':
        raise ValueError('the test pipeline resizes frames it never selects')
    return RawPipelines(audio, visual)


def collect_inputs(
        inputs: Union[str, Path, Sequence[Union[str, Path]]]) -> List[str]:
    """Expands inputs into a list of files.

    Media files are kept; folders give their media files (recursive,
    sorted); ``.txt`` / ``.lst`` / ``.list`` files give their lines (paths
    as written, blank lines and ``#`` comments skipped). Other paths are
    kept as they are, so that a missing or unreadable file becomes an error
    of its own instead of stopping the others.

    Raises:
        ValueError: A folder without media files, or nothing at all.
    """
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    files: List[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                str(p) for p in path.rglob('*')
                if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS)
            if not found:
                raise ValueError(f'{path}: the folder holds no media files '
                                 f'({", ".join(MEDIA_EXTENSIONS)})')
            files.extend(found)
        elif path.is_file() and path.suffix.lower() in LIST_EXTENSIONS:
            lines = path.read_text(encoding='utf-8').splitlines()
            files.extend(ln.strip() for ln in lines
                         if ln.strip() and not ln.lstrip().startswith('#'))
        else:
            files.append(str(path))
    if not files:
        raise ValueError('no inputs given')
    return files


def choose_modality(model_modality: str,
                    has_audio: bool,
                    has_video: bool,
                    fallback: bool = True) -> str:
    """The recognizer modality that serves a file with these streams.

    A model finetuned on both modalities (``audio_visual``) falls back to
    the official evaluation with one modality: ``audio_without_visual``
    for a file without video, ``visual_without_audio`` for one without
    usable audio; single-modality models need their modality (what each
    reads: :func:`cavmae_mm.models.modality.modalities_of`).

    Args:
        fallback (bool): Allow the one-modality fallback of an
            audio-visual model. Defaults to True.

    Raises:
        MediaError: The model cannot serve the file.
    """
    model_modality = modality_name(model_modality)
    if model_modality == 'audio_visual' and fallback:
        if has_audio and has_video:
            return 'audio_visual'
        if has_video:
            return 'visual_without_audio'
        if has_audio:
            return 'audio_without_visual'
        raise MediaError('neither usable audio nor video')
    needed = modalities_of(model_modality)
    if 'audio' in needed and not has_audio:
        raise MediaError(f'the model classifies audio ({model_modality}) '
                         'and the file has no usable audio')
    if 'visual' in needed and not has_video:
        raise MediaError(f'the model classifies frames ({model_modality}) '
                         'and the file has no video')
    return model_modality


class RawMediaLoader:
    """Prepares one raw media file (or an image) for a model.

    Args:
        pipeline (Sequence[dict]): The config's test pipeline.
        model_modality (str): What the model reads: a recognizer modality
            (:data:`cavmae_mm.models.modality.MODALITY_PATHS`).
        fallback (bool): Let an ``audio_visual`` model fall back to one
            modality for a file that lacks the other (classification). With
            False both are required (embeddings of both modalities).
            Defaults to True.
    """

    def __init__(self,
                 pipeline: Sequence[dict],
                 model_modality: str,
                 fallback: bool = True) -> None:
        self.model_modality = modality_name(model_modality)
        steps = split_test_pipeline(pipeline)
        self.fallback = fallback
        self.audio = [TRANSFORMS.build(t) for t in steps.audio]
        self.visual = [TRANSFORMS.build(t) for t in steps.visual]
        self.frame_mode = self.visual[0].mode if self.visual else None
        #: Whether the audio is cut into the segments of the chosen frames
        #: (CAV-MAE Sync): ``audios`` [K, T, F] for K frames.
        self.aligns_audio = any(_type(t) in _ALIGN_STEPS for t in steps.audio)
        if self.aligns_audio and self.frame_mode == 'random':
            raise ValueError('AlignAudioToFrames after a random frame choice: '
                             'raw-file inference needs a test pipeline that '
                             "chooses frames with mode 'fixed' or 'all'")

    def _audio_start(self, path: str) -> Dict:
        """The audio steps' input: the file, and, for aligned audio, the
        slots of the frames the frame steps choose (the same every time:
        not random)."""
        results = dict(filename=path)
        if self.aligns_audio:
            choice = self.visual[0]
            results['frame_slots'] = choose_slots(choice.mode,
                                                  choice.frame_use,
                                                  choice.num_frames)
            results['num_frames'] = choice.num_frames
        return results

    @staticmethod
    def _run(transforms, results: Dict) -> Dict:
        for transform in transforms:
            results = transform(results)
        return results

    def __call__(self, path: str) -> Dict:
        """Packed inputs of one file.

        Returns:
            dict: ``inputs`` (``audios`` and/or ``imgs``), ``modality``,
            ``notes`` (lines to report: conversions, a missing or silent
            audio track, the modality fallback).

        Raises:
            FileNotFoundError, MediaError: The file cannot be used.
        """
        streams = probe_streams(path)
        if not (streams.audio or streams.video):
            raise MediaError(f'{path}: no audio or video stream')
        notes: List[str] = []
        audio: Optional[Dict] = None
        if 'audio' in modalities_of(self.model_modality) and self.audio:
            if streams.audio:
                audio = self._run(self.audio, self._audio_start(path))
                if audio.get('audio_note'):
                    notes.append(audio['audio_note'])
                if audio['audio_silent']:
                    notes.append('the audio track is silent (every sample '
                                 'is 0)')
                    audio = None
            else:
                notes.append('no audio track')
        try:
            modality = choose_modality(self.model_modality, audio is not None,
                                       streams.video and bool(self.visual),
                                       self.fallback)
        except MediaError as err:
            reason = '; '.join(notes + [str(err)])
            raise MediaError(f'{path}: {reason}') from err
        if modality != self.model_modality:
            only = 'audio' if 'audio' in modalities_of(modality) \
                else 'frames'
            notes.append(f'using {modality} ({only} only)')
        inputs = {}
        if 'audio' in modalities_of(modality):
            # fbank, or waveforms for a model that computes fbank itself
            key = 'waveforms' if 'waveforms' in audio else 'audios'
            inputs[key] = audio[key]
        frame_inds: Optional[List[int]] = None
        if 'visual' in modalities_of(modality):
            frames = self._run(self.visual, dict(filename=path))
            inputs['imgs'] = frames['imgs']
            frame_inds = frames['frame_inds']
        return dict(
            inputs=inputs,
            modality=modality,
            notes=notes,
            frame_inds=frame_inds)

    def prepare_window(self, path: str, modality: str,
                       samples: Optional[np.ndarray],
                       frames: Optional[List[np.ndarray]],
                       sample_rate: int) -> Dict:
        """Packed inputs of one window of a long recording, from its
        decoded audio (float32 samples at ``sample_rate``) and/or its RGB
        frames (as read at the extraction points, see
        :mod:`cavmae_mm.utils.media_windows`): the config's steps after the
        decoding ones, as :meth:`__call__` runs them on a whole clip.

        Returns:
            dict: As :meth:`__call__` (``notes`` empty).
        """
        inputs: Dict = {}
        if 'audio' in modalities_of(modality):
            waveform = torch.from_numpy(samples)[None]
            check_samples(waveform, path)
            results = self._audio_start(path)
            results.update(waveform=waveform, sample_rate=sample_rate)
            results = self._run(self.audio[1:], results)
            key = 'waveforms' if 'waveforms' in results else 'audios'
            inputs[key] = results[key]
        if 'visual' in modalities_of(modality):
            decode = self.visual[0]
            images = []
            for frame in frames:
                image = Image.fromarray(frame)
                if decode.extract_size:
                    image = resize_center_crop(image, decode.extract_size,
                                               'bilinear')
                images.append(image)
            inputs['imgs'] = self._run(self.visual[1:],
                                       dict(imgs=images))['imgs']
        return dict(inputs=inputs, modality=modality, notes=[])

    def load_image(self, path: str) -> Dict:
        """A still image as a one-frame visual input: resized as the
        extraction resizes frames, then the config's frame steps.

        Raises:
            FileNotFoundError, MediaError: Missing or not an image.
        """
        if not self.visual:
            raise MediaError(f'{path}: the pipeline has no frame steps')
        if not Path(path).is_file():
            raise FileNotFoundError(f'{path}: file not found')
        try:
            with Image.open(path) as image:
                image = image.convert('RGB')
        except (UnidentifiedImageError, OSError) as err:
            raise MediaError(f'{path}: not a readable image ({err})') \
                from err
        decode = self.visual[0]
        if decode.extract_size:
            image = resize_center_crop(image, decode.extract_size, 'bilinear')
        frames = self._run(self.visual[1:], dict(imgs=[image]))
        return dict(
            inputs=dict(imgs=frames['imgs']),
            modality='visual',
            notes=[],
            frame_inds=None)


class RawMediaDataset(Dataset):
    """Files -> prepared samples, or the reason a file cannot be used.

    Errors are returned, not raised, so that one bad file does not stop a
    batch or a worker: each item is ``dict(input=path, sample=...)`` or
    ``dict(input=path, error=message)``.
    """

    def __init__(self, files: Sequence[str], loader: RawMediaLoader) -> None:
        self.files = list(files)
        self.loader = loader

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Dict:
        path = self.files[index]
        try:
            return dict(input=path, sample=self.loader(path))
        except (MediaError, FileNotFoundError, OSError) as err:
            message = str(err)
            if path not in message:
                message = f'{path}: {message}'
            return dict(input=path, error=message)


def test_pipeline_of(cfg) -> Tuple[dict, Sequence[dict]]:
    """The test dataset config (through dataset wrappers) and its pipeline.

    Raises:
        ValueError: The config has no test data loader.
    """
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader:
        raise ValueError('the config has no test_dataloader to take the '
                         'test pipeline and label file from')
    dataset = loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset, dataset['pipeline']


def raw_batches(files: Sequence[str],
                loader: RawMediaLoader,
                batch_size: int = 1,
                num_workers: int = 0) -> DataLoader:
    """Prepared files (or their errors) in batches, decoded in
    ``num_workers`` processes, in the files' order."""
    return DataLoader(
        RawMediaDataset(files, loader),
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=keep_as_list,
        shuffle=False)


def keep_as_list(batch: List[Dict]) -> List[Dict]:
    """Collate function: the items as they are (grouped later by
    modality)."""
    return batch


def model_batch(samples: Sequence[Dict]) -> Dict:
    """Prepared samples that share a modality as one ``test_step`` batch:
    ``inputs`` stacked, one empty ``ActionDataSample`` per sample."""
    inputs = {
        key: torch.stack([torch.as_tensor(s['inputs'][key]) for s in samples])
        for key in samples[0]['inputs']
    }
    return dict(
        inputs=inputs, data_samples=[ActionDataSample() for _ in samples])
