"""Classifying long recordings window by window.

A finetuned model answers for one clip (10.24 s for the released models).
:class:`LongMediaClassifier` slides a window of ``window`` seconds every
``stride`` seconds over the whole file (:func:`plan_windows`), takes each
window as the official extraction takes a clip (its audio; its evenly
spaced frames) and classifies the windows in batches, decoding the audio as
a stream and seeking to each window's frames
(:mod:`cavmae_mm.utils.media_windows`), so memory does not grow with the
file. The result has a segment per window and a file-level answer
aggregated over the windows: the **maximum** of each class's score for a
multi-label model (an event anywhere in the file), the **mean** for a
single-label one (the class of the file as a whole). A file no longer
than one window is classified exactly as :class:`RawMediaClassifier`
classifies it (one segment).
"""
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from torch import nn

from cavmae_mm.datasets.raw_media_dataset import choose_modality
from cavmae_mm.models.modality import modalities_of
from cavmae_mm.utils.media_windows import (AudioWindows, FrameWindows,
                                           iter_windows, media_duration,
                                           plan_windows, window_frame_indices)
from cavmae_mm.utils.video_io import MediaError, probe_streams
from .classify import RawMediaClassifier

#: File-level aggregation of the window scores, by kind of model.
AGGREGATIONS = {True: 'max', False: 'mean'}
SAMPLE_RATE = 16000

Progress = Callable[[int, int], None]


def clip_seconds(classifier: RawMediaClassifier) -> float:
    """The model's clip length in seconds: the fbank frames its audio front
    end pads or cuts a clip to, times the frame shift (1024 x 10 ms =
    10.24 s for the released models); for a frames-only pipeline, the
    seconds its frame choice spans (10 s)."""
    for step in classifier.loader.audio:
        steps = getattr(step, 'steps', None)  # AudioFrontEnd
        if steps is not None:
            return steps.target_length * step.fbank.frame_shift / 1000
    shift = next(
        (s.frame_shift
         for s in classifier.loader.audio if hasattr(s, 'frame_shift')), None)
    length = next(
        (s.target_length
         for s in classifier.loader.audio if hasattr(s, 'target_length')),
        None)
    if shift and length:
        return length * shift / 1000
    return float(classifier.loader.visual[0].max_seconds)


class LongMediaClassifier:
    """Window-by-window classification of long recordings.

    Args:
        classifier (RawMediaClassifier): The clip classifier (model, label
            names, the config's test steps).
        window (float, optional): Window length in seconds. Defaults to the
            model's clip length (:func:`clip_seconds`).
        stride (float, optional): Seconds between window starts, in (0,
            window]. Defaults to half the window.
        batch_size (int): Windows per forward pass. Defaults to 8.
    """

    def __init__(self,
                 classifier: RawMediaClassifier,
                 window: Optional[float] = None,
                 stride: Optional[float] = None,
                 batch_size: int = 8) -> None:
        self.classifier = classifier
        self.window = float(window or clip_seconds(classifier))
        self.stride = float(stride or self.window / 2)
        plan_windows(self.window, self.window, self.stride)  # validates
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.batch_size = batch_size
        self.aggregation = AGGREGATIONS[classifier.multi_label]

    def aggregate(self, scores: torch.Tensor) -> torch.Tensor:
        """The file-level scores of window scores [W, C]."""
        if self.aggregation == 'max':
            return scores.max(dim=0).values
        return scores.mean(dim=0)

    def _modality(self, path: str) -> str:
        loader = self.classifier.loader
        streams = probe_streams(path)
        if not (streams.audio or streams.video):
            raise MediaError(f'{path}: no audio or video stream')
        try:
            return choose_modality(loader.model_modality, streams.audio
                                   and bool(loader.audio), streams.video
                                   and bool(loader.visual), loader.fallback)
        except MediaError as err:
            raise MediaError(f'{path}: {err}') from err

    def _one_clip(self, path: str) -> Dict:
        """A file no longer than a window: the clip classifier's path."""
        sample = self.classifier.loader(path)
        scores = self.classifier.score_samples([sample], sample['modality'])
        return dict(
            modality=sample['modality'], notes=sample['notes'], scores=scores)

    def _windows(self, path: str, duration: float,
                 progress: Optional[Progress]) -> Dict:
        """Every window of a longer file, in batches."""
        loader = self.classifier.loader
        modality = self._modality(path)
        windows = plan_windows(duration, self.window, self.stride)
        reads = modalities_of(modality)
        audio = AudioWindows(path, SAMPLE_RATE) if 'audio' in reads else None
        frames = FrameWindows(path) if 'visual' in reads else None
        choice = loader.visual[0] if loader.visual else None
        rows: List[torch.Tensor] = []
        pending: List[Dict] = []
        try:
            for index, window, following in iter_windows(windows):
                samples = frame_list = None
                if audio is not None:
                    samples = audio.take(window, following)
                    if samples.size == 0:
                        raise MediaError(f'{path}: no audio at '
                                         f'{window.start:.2f} s')
                if frames is not None:
                    indices = window_frame_indices(window, frames.fps,
                                                   frames.frame_count,
                                                   choice.num_frames,
                                                   choice.max_seconds)
                    slots = self._slots(choice)
                    frame_list = frames.read([indices[s] for s in slots])
                pending.append(
                    loader.prepare_window(path, modality, samples, frame_list,
                                          SAMPLE_RATE))
                if len(pending) == self.batch_size or index + 1 == len(
                        windows):
                    rows.append(
                        self.classifier.score_samples(pending, modality))
                    pending = []
                    if progress is not None:
                        progress(index + 1, len(windows))
        finally:
            if frames is not None:
                frames.close()
        return dict(
            modality=modality,
            notes=[],
            scores=torch.cat(rows),
            windows=windows)

    @staticmethod
    def _slots(choice) -> Sequence[int]:
        from cavmae_mm.datasets.transforms.frames import choose_slots
        return choose_slots(choice.mode, choice.frame_use, choice.num_frames)

    def as_segmented(self, result: Dict, duration: float) -> Dict:
        """A clip classifier's result for a file no longer than a window
        (:meth:`RawMediaClassifier.classify`), in the form of
        :meth:`classify_file`'s (the same numbers, one segment)."""
        return dict(
            result,
            duration=round(duration, 3),
            window=self.window,
            stride=self.stride,
            aggregation=self.aggregation,
            segments=[
                dict(
                    start=0.0,
                    end=round(min(duration, self.window), 3),
                    predictions=result['predictions'])
            ])

    @torch.no_grad()
    def classify_file(self,
                      path: str,
                      topk: int = 5,
                      progress: Optional[Progress] = None,
                      return_scores: bool = False) -> Dict:
        """Segments and file-level answer of one file.

        Args:
            path (str): A video or audio file.
            topk (int): Predictions per segment and for the file.
            progress (callable, optional): Called as ``progress(done,
                total)`` windows after each batch.
            return_scores (bool): Also return ``scores`` (np.ndarray
                [windows, classes]) and ``class_names``.

        Returns:
            dict: ``input``, ``modality``, ``duration``, ``window``,
            ``stride``, ``aggregation``, ``predictions`` (file level, as
            :func:`inference_recognizer`'s) and ``segments`` (``[{start,
            end, predictions}]`` in time order); notes on the decoding are
            logged.

        Raises:
            FileNotFoundError, MediaError: The file cannot be used (the
                message names it and the reason).
        """
        duration = media_duration(path)
        if duration <= self.window:
            found = self._one_clip(path)
            windows = plan_windows(duration, self.window, self.stride)
            if progress is not None:
                progress(1, 1)
        else:
            found = self._windows(path, duration, progress)
            windows = found['windows']
        scores = found['scores']
        top = self.classifier.top_predictions
        result = dict(
            input=str(path),
            modality=found['modality'],
            duration=round(duration, 3),
            window=self.window,
            stride=self.stride,
            aggregation=self.aggregation,
            predictions=top(self.aggregate(scores), topk),
            segments=[
                dict(
                    start=round(w.start, 3),
                    end=round(min(w.end, duration), 3),
                    predictions=top(row, topk))
                for w, row in zip(windows, scores, strict=True)
            ])
        for note in found['notes']:
            print_log(f'{path}: {note}', logger='current')
        if return_scores:
            result['scores'] = scores.numpy().astype(np.float32)
            result['class_names'] = list(self.classifier.labels)
        return result


def classify_long(model: nn.Module,
                  path: str,
                  window: Optional[float] = None,
                  stride: Optional[float] = None,
                  batch_size: int = 8,
                  topk: int = 5,
                  label_file: Optional[str] = None,
                  progress: Optional[Progress] = None,
                  return_scores: bool = False) -> Dict:
    """Classifies a long recording window by window; see
    :class:`LongMediaClassifier` and its ``classify_file``."""
    classifier = LongMediaClassifier(
        RawMediaClassifier(model, label_file), window, stride, batch_size)
    return classifier.classify_file(path, topk, progress, return_scores)
