"""Embeddings of a dataset or of raw files: audio, visual and joint.

Each embedding is an encoder path's output pooled as zero-shot retrieval
pools it: the mean over tokens for CAV-MAE, the leading global token of a
single-modality path for CAV-MAE Sync (the contrastive head's
``retrieval_feature``; the joint path, which has no global token, is
mean-pooled). A sample is one frame and the audio, [D] per embedding, or,
for CAV-MAE Sync's clips, K frames each with its aligned audio segment,
[K, D].
"""
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.utils import ProgressBar
from torch import Tensor, nn

from cavmae_mm.datasets.raw_media_dataset import (RawMediaLoader,
                                                  collect_inputs, model_batch,
                                                  raw_batches,
                                                  test_pipeline_of)
from cavmae_mm.models.modality import PATHS, modalities_of
from cavmae_mm.utils.media_windows import plan_windows
from cavmae_mm.utils.video_io import MediaError, probe_streams
from .long_media import (SAMPLE_RATE, clip_seconds, durations_of,
                         iter_window_media)

#: Embeddings ``extract_features`` can compute: encoder paths.
FEATURES = ('audio', 'visual', 'joint')


def _clip_frames(audios: Optional[Tensor],
                 imgs: Optional[Tensor]) -> Optional[int]:
    """K for clips of K frames (``audios`` [B, K, T, F], ``imgs``
    [B, K, 3, H, W]); None for one frame per sample.

    Raises:
        ValueError: Frame and audio counts that do not pair up.
    """
    frames_v = imgs.shape[1] if imgs is not None and imgs.dim() == 5 \
        else None
    frames_a = audios.shape[1] if audios is not None and \
        audios.dim() == 4 else None
    if audios is not None and imgs is not None and frames_a != frames_v:
        raise ValueError(
            'each frame needs its audio segment: audio '
            f'{tuple(audios.shape)} and frames {tuple(imgs.shape)} do not '
            'pair up; use one frame per clip (SelectFrames mode "fixed") '
            'or align the audio to the frames (AlignAudioToFrames after the '
            'frame choice)')
    return frames_v if frames_v is not None else frames_a


@torch.no_grad()
def encode(model: nn.Module, audios: Optional[Tensor], imgs: Optional[Tensor],
           features: Sequence[str]) -> Dict[str, Tensor]:
    """Pooled encoder embeddings of preprocessed inputs (no masking).

    A single-modality path of an encoder with global tokens (CAV-MAE
    Sync) gives its global token, as the contrastive head's
    ``retrieval_feature``; the other paths the mean over their tokens.

    Args:
        model (nn.Module): Any model with a CAV-MAE encoder as
            ``backbone``.
        audios (Tensor, optional): [B, T, F], or [B, K, T, F] for clips
            of K frames (one audio segment per frame).
        imgs (Tensor, optional): [B, 3, H, W], or [B, K, 3, H, W].
        features (Sequence[str]): Any of :data:`FEATURES`; only the
            modalities they read are encoded.

    Returns:
        dict[str, Tensor]: float32 [B, D] per feature, [B, K, D] for clips.

    Raises:
        ValueError: Unknown features, or a modality they need that is
            missing or does not pair up with the other.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f'unknown features {sorted(unknown)}; choose from '
                         f'{FEATURES}')
    needed = {m for name in features for m in PATHS[name].inputs}
    inputs = dict(audio=audios, visual=imgs)
    missing = sorted(m for m in needed if inputs[m] is None)
    if missing:
        raise ValueError(f'the features {list(features)} need the '
                         f'{" and ".join(missing)} input')
    audios = audios if 'audio' in needed else None
    imgs = imgs if 'visual' in needed else None
    frames = _clip_frames(audios, imgs)
    if frames is not None:
        audios = audios.flatten(0, 1) if audios is not None else None
        imgs = imgs.flatten(0, 1) if imgs is not None else None
    out = model.backbone(audios, imgs, paths=tuple(features))
    pooled = {}
    for name in features:
        tokens = out.paths[name]
        if out.leading_global and len(PATHS[name].inputs) == 1:
            feature = tokens[:, 0]
        else:
            feature = tokens.mean(dim=1)
        if frames is not None:
            feature = feature.unflatten(0, (-1, frames))
        pooled[name] = feature.float().cpu()
    return pooled


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataloader: Iterable,
                     features: Sequence[str] = FEATURES,
                     show_progress: bool = True) -> Dict[str, object]:
    """Encoder embeddings of every clip of a data loader (see
    :func:`encode`).

    Works with the pretraining model and the recognizer (both hold the
    CAV-MAE encoder as ``backbone``); no masking.

    Args:
        model (nn.Module): A model built by ``init_model`` (eval mode).
        dataloader: Batches as the data pipeline packs them: one frame per
            clip, or K frames with their aligned audio segments (CAV-MAE
            Sync's ``AlignAudioToFrames``).
        features (Sequence[str]): Any of 'audio' (audio path, ``norm_a``),
            'visual' (visual path, ``norm_v``) and 'joint' (both modalities,
            ``norm``).
        show_progress (bool): Show a progress bar.

    Returns:
        dict: ``video_id`` (list) and one float32 tensor per feature,
        [N, D], or [N, K, D] for clips of K frames.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f'unknown features {sorted(unknown)}; choose from '
                         f'{FEATURES}')
    collected: Dict[str, List[torch.Tensor]] = {f: [] for f in features}
    video_ids: List[str] = []
    total = len(dataloader.dataset) if hasattr(dataloader, 'dataset') else 0
    bar = ProgressBar(total) if show_progress and total else None
    for batch in dataloader:
        data = model.data_preprocessor(batch, training=False)
        inputs = data['inputs']
        embedded = encode(model, inputs.get('audios'), inputs.get('imgs'),
                          features)
        for name in features:
            collected[name].append(embedded[name])
        samples = data['data_samples'] or []
        video_ids.extend(s.metainfo.get('video_id') for s in samples)
        if bar is not None:
            for _ in range(len(inputs['audios'])):
                bar.update()
    result: Dict[str, object] = {k: torch.cat(v) for k, v in collected.items()}
    result['video_id'] = video_ids
    return result


def raw_loader_for(model: nn.Module,
                   features: Sequence[str]) -> RawMediaLoader:
    """A strict raw-file loader that decodes what ``features`` need."""
    audio = 'audio' in features or 'joint' in features
    visual = 'visual' in features or 'joint' in features
    modality = 'audio_visual' if audio and visual else \
        ('audio' if audio else 'visual')
    _, pipeline = test_pipeline_of(model.cfg)
    loader = RawMediaLoader(pipeline, modality, fallback=False)
    if visual and loader.frame_mode == 'all' and not loader.aligns_audio:
        raise ValueError('embeddings need one frame per clip, or each frame '
                         'with its audio segment; use a config whose test '
                         "pipeline selects one frame (mode 'fixed', e.g. the "
                         'retrieval configs) or aligns the audio to the '
                         'frames (AlignAudioToFrames, the CAV-MAE Sync '
                         'configs)')
    return loader


@torch.no_grad()
def embed_samples(model: nn.Module, samples: Sequence[Dict],
                  features: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Embeddings [N, D] (or [N, K, D] for clips) of prepared samples
    that share a modality set (see :func:`encode`)."""
    data = model.data_preprocessor(model_batch(samples), False)['inputs']
    return encode(model, data.get('audios'), data.get('imgs'), features)


def embed_windows(model: nn.Module, loader: RawMediaLoader, path: str,
                  duration: float, features: Sequence[str], window: float,
                  stride: float,
                  batch_size: int) -> Tuple[Dict[str, Tensor], List]:
    """Embeddings of each window of a long recording (see
    :func:`cavmae_mm.apis.long_media.iter_window_media`), [W, ...] per
    feature, and the windows."""
    windows = plan_windows(duration, window, stride)
    modality = loader.model_modality
    reads = modalities_of(modality)
    streams = probe_streams(path)
    for needed, present in (('audio', streams.audio), ('visual',
                                                       streams.video)):
        if needed in reads and not present:
            raise MediaError(f'{path}: the embeddings need its {needed} '
                             f'but it has no {needed} stream')
    rows: Dict[str, List[Tensor]] = {f: [] for f in features}
    pending: List[Dict] = []
    for media in iter_window_media(loader, path, windows, 'audio' in reads,
                                   'visual' in reads):
        pending.append(
            loader.prepare_window(path, modality, media.samples, media.frames,
                                  SAMPLE_RATE))
        if len(pending) == batch_size or media.index + 1 == len(windows):
            for name, value in embed_samples(model, pending, features).items():
                rows[name].append(value)
            pending = []
    return {k: torch.cat(v) for k, v in rows.items()}, windows


def embed_files(model: nn.Module,
                inputs,
                features: Sequence[str] = FEATURES,
                batch_size: int = 8,
                num_workers: int = 0,
                show_progress: bool = False,
                window: Optional[float] = None,
                stride: Optional[float] = None) -> Dict[str, object]:
    """Embeddings of raw video and audio files (no datalist needed).

    Each file is decoded as the official extraction would and goes through
    the config's test pipeline (one frame: the retrieval configs use frame
    5; CAV-MAE Sync's, all K frames, each with its audio segment), then
    through the encoder paths of ``features``, pooled (see :func:`encode`).
    A file longer than ``window`` seconds (default the model's clip
    length) is embedded window by window, a window every ``stride``
    seconds (default half the window; see
    :mod:`cavmae_mm.apis.long_media`): one row per window, so that a search
    finds the file and the time. A file that lacks a modality some feature
    needs (e.g. an audio file and 'visual') is listed under ``errors``,
    never embedded from a stand-in.

    Args:
        model (nn.Module): Pretraining model or recognizer from
            ``init_model``.
        inputs: Files, folders (recursive), ``.txt`` lists, or a list.
        features (Sequence[str]): Any of :data:`FEATURES`.
        batch_size (int): Files (or windows) per forward pass. Defaults to
            8.
        num_workers (int): Decoding processes. Defaults to 0.
        show_progress (bool): Show a progress bar.
        window (float, optional): Window of long files in seconds.
        stride (float, optional): Seconds between windows.

    Returns:
        dict: ``video_id`` (the file of each row), ``start`` and ``end``
        (the seconds each row covers: the whole file, or its window), one
        float32 tensor [N, D] (clips: [N, K, D]) per feature, and
        ``errors`` (``[{"input", "error"}]``). Files no longer than a
        window come first, in input order, then the windows of the longer
        ones.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f'unknown features {sorted(unknown)}; choose from '
                         f'{FEATURES}')
    loader = raw_loader_for(model, features)
    window = float(window or clip_seconds(loader))
    stride = float(stride or window / 2)
    plan_windows(window, window, stride)  # validates them
    files = collect_inputs(inputs)
    durations = durations_of(files)
    short = [p for p in files if durations[p] <= window]
    collected: Dict[str, List[torch.Tensor]] = {f: [] for f in features}
    ids: List[str] = []
    starts: List[float] = []
    ends: List[float] = []
    errors: List[Dict] = []
    bar = ProgressBar(len(files)) if show_progress else None
    if short:
        for batch in raw_batches(short, loader, batch_size, num_workers):
            good = [item for item in batch if 'error' not in item]
            errors.extend(item for item in batch if 'error' in item)
            if good:
                embedded = embed_samples(model, [i['sample'] for i in good],
                                         features)
                for name in features:
                    collected[name].append(embedded[name])
                ids.extend(item['input'] for item in good)
                starts.extend(0.0 for _ in good)
                ends.extend(round(durations[i['input']], 3) for i in good)
            if bar is not None:
                for _ in batch:
                    bar.update()
    for path in files:
        if path in short:
            continue
        try:
            embedded, windows = embed_windows(model, loader, path,
                                              durations[path], features,
                                              window, stride, batch_size)
        except (MediaError, FileNotFoundError, ValueError) as err:
            errors.append(dict(input=path, error=str(err)))
        else:
            for name in features:
                collected[name].append(embedded[name])
            ids.extend(path for _ in windows)
            starts.extend(round(w.start, 3) for w in windows)
            ends.extend(round(min(w.end, durations[path]), 3) for w in windows)
        if bar is not None:
            bar.update()
    result: Dict[str, object] = {
        k: torch.cat(v) if v else torch.empty(0)
        for k, v in collected.items()
    }
    result['video_id'] = ids
    result['start'] = starts
    result['end'] = ends
    result['errors'] = errors
    return result
