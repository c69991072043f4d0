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
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence)

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch import nn

from cavmae_mm.datasets.raw_media_dataset import (RawMediaLoader,
                                                  choose_modality)
from cavmae_mm.datasets.transforms.frames import choose_slots
from cavmae_mm.models.modality import modalities_of
from cavmae_mm.utils.heap import HeapTrimmer
from cavmae_mm.utils.media_windows import (AudioWindows, FrameWindows, Window,
                                           iter_windows, media_duration,
                                           plan_windows, window_frame_indices)
from cavmae_mm.utils.video_io import MediaError, probe_streams
from .classify import RawMediaClassifier, split_results

#: File-level aggregation of the window scores, by kind of model.
AGGREGATIONS = {True: 'max', False: 'mean'}
SAMPLE_RATE = 16000

Progress = Callable[[int, int], None]


def clip_seconds(loader: RawMediaLoader) -> float:
    """The model's clip length in seconds, from its raw-file loader: the
    fbank frames its audio front end pads or cuts a clip to, times the
    frame shift (1024 x 10 ms = 10.24 s for the released models); for a
    frames-only pipeline, the seconds its frame choice spans (10 s)."""
    for step in loader.audio:
        steps = getattr(step, 'steps', None)  # AudioFrontEnd
        if steps is not None:
            return steps.target_length * step.fbank.frame_shift / 1000
    shift = next((s.frame_shift
                  for s in loader.audio if hasattr(s, 'frame_shift')), None)
    length = next((s.target_length
                   for s in loader.audio if hasattr(s, 'target_length')), None)
    if shift and length:
        return length * shift / 1000
    return float(loader.visual[0].max_seconds)


class WindowMedia(NamedTuple):
    """What one window of a recording decodes to."""
    index: int
    window: Window
    samples: Optional[np.ndarray]  # float32 audio at SAMPLE_RATE
    frames: Optional[List[np.ndarray]]  # RGB frames of the frame choice


def iter_window_media(loader: RawMediaLoader, path: str,
                      windows: Sequence[Window], audio: bool,
                      visual: bool) -> Iterator[WindowMedia]:
    """Decodes the windows of a recording in order: the audio as a stream
    (:class:`AudioWindows`), the frames the loader's frame choice picks in
    each window (:func:`window_frame_indices`), never the whole file.
    Between windows the C heap is trimmed when it has grown
    (:class:`HeapTrimmer`), so that the memory the consumer's batches
    freed goes back to the system and a long run stays bounded.

    Raises:
        MediaError: A window without audio, or a frame that cannot be read
            (the message names the file).
    """
    stream = AudioWindows(path, SAMPLE_RATE) if audio else None
    frames = FrameWindows(path) if visual else None
    choice = loader.visual[0] if visual else None
    trim = HeapTrimmer()
    try:
        for index, window, following in iter_windows(windows):
            trim()
            samples = images = None
            if stream is not None:
                samples = stream.take(window, following)
                if samples.size == 0:
                    raise MediaError(f'{path}: no audio at '
                                     f'{window.start:.2f} s')
            if frames is not None:
                indices = window_frame_indices(window, frames.fps,
                                               frames.frame_count,
                                               choice.num_frames,
                                               choice.max_seconds)
                images = frames.read([
                    indices[s] for s in choose_slots(
                        choice.mode, choice.frame_use, choice.num_frames)
                ])
            yield WindowMedia(index, window, samples, images)
    finally:
        if frames is not None:
            frames.close()
    if stream is not None:
        source = (stream.source.source_rate, stream.source.source_channels)
        if source != (SAMPLE_RATE, 1):
            print_log(
                f'{path}: audio converted from {source[0]} Hz, {source[1]} '
                f'channel(s) to {SAMPLE_RATE} Hz mono, as the official '
                'extraction',
                logger='current')


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
        self.window = float(window or clip_seconds(classifier.loader))
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

    def _silent_fallback(self, modality: str, path: str) -> Optional[str]:
        """The modality of a window whose audio is digital silence (every
        sample 0), as the clip classifier treats a silent track: the
        frames alone, when the model may fall back to them."""
        loader = self.classifier.loader
        if 'visual' not in modalities_of(modality) or not loader.fallback:
            return None
        try:
            return choose_modality(loader.model_modality, False, True, True)
        except MediaError:
            return None

    def _windows(self, path: str, duration: float,
                 progress: Optional[Progress]) -> Dict:
        """Every window of a longer file, in batches (a batch runs one
        modality: a silent window may fall back to the frames)."""
        loader = self.classifier.loader
        modality = self._modality(path)
        silent_modality = self._silent_fallback(modality, path)
        windows = plan_windows(duration, self.window, self.stride)
        reads = modalities_of(modality)
        rows: List[torch.Tensor] = []
        used: List[str] = []
        pending: List[Dict] = []

        def flush(done: int) -> None:
            rows.append(
                self.classifier.score_samples(pending, pending[0]['modality']))
            pending.clear()
            if progress is not None:
                progress(done, len(windows))

        for media in iter_window_media(loader, path, windows, 'audio' in reads,
                                       'visual' in reads):
            current, samples = modality, media.samples
            if samples is not None and silent_modality and \
                    not samples.any():
                current, samples = silent_modality, None
            if pending and pending[0]['modality'] != current:
                flush(media.index)
            pending.append(
                loader.prepare_window(path, current, samples, media.frames,
                                      SAMPLE_RATE))
            used.append(current)
            if len(pending) == self.batch_size:
                flush(media.index + 1)
        if pending:
            flush(len(windows))
        notes = []
        if used.count(modality) < len(used):
            notes.append(f'{len(used) - used.count(modality)} windows of '
                         f'silence classified as {silent_modality}')
        return dict(
            modality=modality,
            notes=notes,
            scores=torch.cat(rows),
            windows=windows,
            window_modalities=used)

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
        for segment, used in zip(result['segments'],
                                 found.get('window_modalities', ())):
            if used != result['modality']:
                segment['modality'] = used
        for note in found['notes']:
            print_log(f'{path}: {note}', logger='current')
        if return_scores:
            result['scores'] = scores.numpy().astype(np.float32)
            result['class_names'] = list(self.classifier.labels)
        return result


class WindowProgress:
    """A progress bar of one file's windows (windows done / total), made at
    the first report (a ``progress`` for :meth:`LongMediaClassifier.
    classify_file`)."""

    def __init__(self) -> None:
        self.bar: Optional[ProgressBar] = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = ProgressBar(total)
        for _ in range(done - self.done):
            self.bar.update()
        self.done = done


def durations_of(files: Sequence[str]) -> Dict[str, float]:
    """Each file's duration in seconds; 0 for a file whose length cannot
    be read (it then takes the clip path, whose decoding says what is
    wrong with it)."""
    durations = {}
    for path in files:
        try:
            durations[path] = media_duration(path)
        except (MediaError, FileNotFoundError):
            durations[path] = 0.0
    return durations


def classify_files(long: 'LongMediaClassifier',
                   files: Sequence[str],
                   topk: int = 5,
                   num_workers: int = 0,
                   show_progress: bool = False,
                   return_scores: bool = False,
                   each: Optional[Callable[[Dict], None]] = None) -> Dict:
    """Results (or errors) of every file, in input order: the files no
    longer than one window in batches through the clip classifier (decoded
    in ``num_workers`` processes), the longer ones window by window (with a
    progress bar each when ``show_progress``). With ``return_scores`` every
    file takes the window path and its result keeps ``scores`` and
    ``class_names``; ``each`` is called with every window-path result.

    Returns:
        dict: ``results`` and ``errors``, as :func:`inference_recognizer`.
    """
    durations = durations_of(files)
    items: Dict[str, Dict] = {}
    short = [
        p for p in files if durations[p] <= long.window and not return_scores
    ]
    if short:
        done = long.classifier.run(short, topk, long.batch_size, num_workers,
                                   show_progress)
        for item in done['results']:
            items[item['input']] = long.as_segmented(item,
                                                     durations[item['input']])
        for item in done['errors']:
            items[item['input']] = item
    for path in files:
        if path in items:
            continue
        progress = None
        if show_progress:
            print_log(f'{path}: {durations[path]:.1f} s', logger='current')
            progress = WindowProgress()
        try:
            items[path] = long.classify_file(path, topk, progress,
                                             return_scores)
        except (MediaError, FileNotFoundError, ValueError) as err:
            items[path] = dict(input=path, error=str(err))
            continue
        if each is not None:
            each(items[path])
    return split_results([items[path] for path in files])


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
