"""Embeddings of a dataset or of raw files: audio, visual and joint,
mean-pooled."""
from typing import Dict, Iterable, List, Sequence

import torch
from mmengine.utils import ProgressBar
from torch import nn

from cavmae_mm.datasets.raw_media_dataset import (RawMediaLoader,
                                                  collect_inputs, model_batch,
                                                  raw_batches,
                                                  test_pipeline_of)

#: Embeddings ``extract_features`` can compute: encoder paths.
FEATURES = ('audio', 'visual', 'joint')


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataloader: Iterable,
                     features: Sequence[str] = FEATURES,
                     show_progress: bool = True) -> Dict[str, object]:
    """Mean-pooled encoder embeddings of every clip of a data loader.

    Works with the pretraining model and the recognizer (both hold the
    CAV-MAE encoder as ``backbone``); no masking.

    Args:
        model (nn.Module): A model built by ``init_model`` (eval mode).
        dataloader: Batches as the data pipeline packs them (one frame per
            clip).
        features (Sequence[str]): Any of 'audio' (audio path, ``norm_a``),
            'visual' (visual path, ``norm_v``) and 'joint' (both modalities,
            ``norm``).
        show_progress (bool): Show a progress bar.

    Returns:
        dict: ``video_id`` (list) and one float32 tensor [N, D] per feature.
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
        if inputs['imgs'].dim() != 4:
            raise ValueError('extract_features needs one frame per clip; '
                             'use a pipeline with SelectFrames(mode="fixed")')
        out = model.backbone(
            inputs['audios'], inputs['imgs'], paths=tuple(features))
        for name in features:
            collected[name].append(out.paths[name].mean(dim=1).float().cpu())
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
    if visual and loader.frame_mode == 'all':
        raise ValueError('embeddings need one frame per clip; use a config '
                         "whose test pipeline selects one frame (mode "
                         "'fixed', e.g. the retrieval configs)")
    return loader


@torch.no_grad()
def embed_samples(model: nn.Module, samples: Sequence[Dict],
                  features: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Mean-pooled embeddings [N, D] of prepared samples (one modality
    set)."""
    data = model.data_preprocessor(model_batch(samples), False)['inputs']
    out = model.backbone(
        data.get('audios'), data.get('imgs'), paths=tuple(features))
    return {
        name: out.paths[name].mean(dim=1).float().cpu()
        for name in features
    }


def embed_files(model: nn.Module,
                inputs,
                features: Sequence[str] = FEATURES,
                batch_size: int = 8,
                num_workers: int = 0,
                show_progress: bool = False) -> Dict[str, object]:
    """Embeddings of raw video and audio files (no datalist needed).

    Each file is decoded as the official extraction would and goes through
    the config's test pipeline (one frame: the retrieval configs use frame
    5), then through the encoder paths of ``features``, mean-pooled. A file
    that lacks a modality some feature needs (e.g. an audio file and
    'visual') is listed under ``errors``, never embedded from a stand-in.

    Args:
        model (nn.Module): Pretraining model or recognizer from
            ``init_model``.
        inputs: Files, folders (recursive), ``.txt`` lists, or a list.
        features (Sequence[str]): Any of :data:`FEATURES`.
        batch_size (int): Files per forward pass. Defaults to 8.
        num_workers (int): Decoding processes. Defaults to 0.
        show_progress (bool): Show a progress bar.

    Returns:
        dict: ``video_id`` (the files embedded, in order), one float32
        tensor [N, D] per feature, and ``errors`` (``[{"input",
        "error"}]``).
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f'unknown features {sorted(unknown)}; choose from '
                         f'{FEATURES}')
    loader = raw_loader_for(model, features)
    files = collect_inputs(inputs)
    collected: Dict[str, List[torch.Tensor]] = {f: [] for f in features}
    ids: List[str] = []
    errors: List[Dict] = []
    bar = ProgressBar(len(files)) if show_progress else None
    for batch in raw_batches(files, loader, batch_size, num_workers):
        good = [item for item in batch if 'error' not in item]
        errors.extend(item for item in batch if 'error' in item)
        if good:
            embedded = embed_samples(model, [i['sample'] for i in good],
                                     features)
            for name in features:
                collected[name].append(embedded[name])
            ids.extend(item['input'] for item in good)
        if bar is not None:
            for _ in batch:
                bar.update()
    result: Dict[str, object] = {
        k: torch.cat(v) if v else torch.empty(0)
        for k, v in collected.items()
    }
    result['video_id'] = ids
    result['errors'] = errors
    return result
