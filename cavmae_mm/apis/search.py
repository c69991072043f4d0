"""Audio-visual search: rank videos by their cross-modal similarity to a
query, with the pretrained model's retrieval features."""
import inspect
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cavmae_mm.datasets.raw_media_dataset import (IMAGE_EXTENSIONS,
                                                  VIDEO_EXTENSIONS)
from cavmae_mm.evaluation.functional import (FRAME_AGGREGATIONS,
                                             frame_similarity)
from cavmae_mm.evaluation.metrics import RetrievalMetric
from cavmae_mm.utils.audio_io import AUDIO_EXTENSIONS
from .features import embed_files, embed_samples, raw_loader_for

#: What a query gives and what it is compared with in the gallery: the
#: zero-shot retrieval pairs (audio path vs visual path).
CROSS = dict(audio='visual', visual='audio')
#: The suffix of a saved gallery index: the embeddings that
#: ``tools/misc/extract_features.py --out index.pt`` writes.
INDEX_SUFFIX = '.pt'


def query_kind(path: str) -> str:
    """'image', 'audio' or 'video' by the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return 'image'
    if suffix in AUDIO_EXTENSIONS:
        return 'audio'
    if suffix in VIDEO_EXTENSIONS:
        return 'video'
    raise ValueError(f'{path}: unknown query type; use an image '
                     f'({", ".join(IMAGE_EXTENSIONS)}), an audio file '
                     f'({", ".join(AUDIO_EXTENSIONS)}) or a video '
                     f'({", ".join(VIDEO_EXTENSIONS)})')


def embed_query(model: nn.Module,
                query: str,
                window: Optional[float] = None,
                stride: Optional[float] = None) -> Dict[str, torch.Tensor]:
    """The query's audio and/or visual embedding: an image gives the
    visual one, an audio file the audio one, a video both (or the one it
    has). Each is [D], or [K, D] when the model's test pipeline takes K
    frames with their audio segments (CAV-MAE Sync; an image is one frame,
    [D]). A recording longer than ``window`` is the mean of its windows'
    embeddings (see :func:`embed_files`)."""
    kind = query_kind(query)
    if kind == 'image':
        sample = raw_loader_for(model, ('visual', )).load_image(query)
        return {
            k: v[0]
            for k, v in embed_samples(model, [sample], ('visual', )).items()
        }
    wanted: Sequence[str] = ('audio', ) if kind == 'audio' else \
        ('audio', 'visual')
    found = embed_files(model, [query], wanted, window=window, stride=stride)
    if found['errors'] and kind == 'video':
        # a video without (usable) audio is still a visual query
        found = embed_files(
            model, [query], ('visual', ), window=window, stride=stride)
    if found['errors']:
        raise ValueError(found['errors'][0]['error'])
    # a long query is embedded window by window: its windows' mean
    return {
        k: found[k].mean(dim=0)
        for k in wanted if k in found and len(found['video_id'])
    }


def frame_aggregation_of(cfg) -> str:
    """How a config scores clips of per-frame features: the
    ``frame_aggregation`` of its ``RetrievalMetric`` (test evaluator, then
    validation evaluator), else that metric's default."""
    for key in ('test_evaluator', 'val_evaluator'):
        evaluators = cfg.get(key) if cfg is not None else None
        if isinstance(evaluators, dict):
            evaluators = evaluators.get('metrics', evaluators)
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for metric in evaluators or ():
            kind = metric.get('type')
            if kind in ('RetrievalMetric', RetrievalMetric) and \
                    'frame_aggregation' in metric:
                return metric['frame_aggregation']
    return inspect.signature(
        RetrievalMetric).parameters['frame_aggregation'].default


def cross_similarity(query: Tensor,
                     items: Tensor,
                     frame_aggregation: str = 'diagonal_mean') -> Tensor:
    """Scores [M] of one query embedding against M gallery embeddings of
    the other modality, as retrieval scores them.

    One feature per clip: cosine similarity. Per-frame features (CAV-MAE
    Sync; see :class:`~cavmae_mm.evaluation.metrics.RetrievalMetric`): the
    frame cosines aggregated by
    :func:`~cavmae_mm.evaluation.functional.frame_similarity`; a query of
    one frame (an image) stands for every frame of the clip, so that
    'diagonal_mean' and 'mean' average its cosines with the clip's K audio
    segments and 'diagonal_max' and 'max' take the best one.

    Args:
        query (Tensor): [D], or [K, D] per frame.
        items (Tensor): [M, D], or [M, K, D] per frame.
        frame_aggregation (str): One of :data:`FRAME_AGGREGATIONS`.

    Returns:
        Tensor: float32 scores [M].

    Raises:
        ValueError: Shapes that do not fit (e.g. an index built with
            another model or test pipeline).
    """
    fits = query.shape[-1] == items.shape[-1] and (
        items.dim() == 2 and query.dim() == 1 or items.dim() == 3 and
        (query.dim() == 1 or query.shape[0] == items.shape[1]))
    if not fits:
        raise ValueError(
            f'the query embedding {tuple(query.shape)} does not fit the '
            f'gallery embeddings {tuple(items.shape)} ([M, D] or [M, K, D] '
            'for K frames); embed both with the same config and checkpoint')
    if items.dim() == 2:
        return F.normalize(items, dim=-1) @ F.normalize(query, dim=-1)
    if query.dim() == 1:
        query = query.expand(items.shape[1], -1)
    return frame_similarity(query[None], items, frame_aggregation)[0].float()


def load_index(gallery) -> Optional[Dict]:
    """The gallery's embeddings when ``gallery`` is an index: a dict as
    :func:`~cavmae_mm.apis.embed_files` or
    :func:`~cavmae_mm.apis.extract_features` return it, or the path of a
    ``.pt`` file holding one (``tools/misc/extract_features.py --out``);
    None for media files, folders and lists.

    Raises:
        FileNotFoundError: A missing index file.
        ValueError: A file or dict that is not an index.
    """
    if isinstance(gallery, dict):
        index, where = gallery, 'the gallery index'
    else:
        items = [gallery] if isinstance(gallery, (str, Path)) else \
            list(gallery)
        if len(items) != 1 or Path(items[0]).suffix.lower() != INDEX_SUFFIX:
            return None
        path = Path(items[0])
        if not path.is_file():
            raise FileNotFoundError(f'{path}: index file not found')
        index = torch.load(path, map_location='cpu', weights_only=True)
        where = str(path)
    if not isinstance(index, dict) or not isinstance(
            index.get('video_id'), list):
        raise ValueError(f'{where} is not a gallery index: a dict with '
                         '"video_id" and embeddings, as '
                         'tools/misc/extract_features.py writes')
    for name, value in index.items():
        if name in CROSS and (not torch.is_tensor(value)
                              or len(value) != len(index['video_id'])):
            raise ValueError(f'{where}: "{name}" is not a tensor with one '
                             f'row per video ({len(index["video_id"])})')
    return index


def av_search(model: nn.Module,
              gallery: Union[str, Path, Sequence, Dict],
              query: str,
              topk: Optional[int] = 10,
              batch_size: int = 8,
              num_workers: int = 0,
              show_progress: bool = False,
              frame_aggregation: Optional[str] = None,
              window: Optional[float] = None,
              stride: Optional[float] = None) -> Dict:
    """Ranks the gallery's videos by audio-visual similarity to a query.

    As zero-shot retrieval computes it (see :func:`cross_similarity`):
    the similarity of the model's retrieval features across modalities.
    An audio query is compared with each video's frames (visual path), an
    image with each video's audio (audio path); a video query with both,
    its audio against the videos' frames and its frames against their
    audio, the two similarities averaged. With CAV-MAE the features are
    mean-pooled, one per clip; with CAV-MAE Sync they are the global tokens
    of the K frames of the model's test pipeline, each frame with its
    audio segment, scored by ``frame_aggregation`` as
    :class:`~cavmae_mm.evaluation.metrics.RetrievalMetric` scores them.

    Args:
        model (nn.Module): A pretrained CAV-MAE (``init_model`` of a
            retrieval config), or any model with the CAV-MAE encoder.
        gallery: Videos: files, folders (recursive) or ``.txt`` lists; or
            an index of their embeddings (see :func:`load_index`) made with
            the same model and config.
        query (str): An image, an audio file or a video.
        topk (int, optional): Matches to return; None for all.
        batch_size (int): Gallery files per forward pass.
        num_workers (int): Decoding processes.
        show_progress (bool): Progress bar while embedding the gallery.
        frame_aggregation (str, optional): For per-frame features: one of
            :data:`FRAME_AGGREGATIONS`; None for the model config's
            retrieval metric's (see :func:`frame_aggregation_of`).
        window (float, optional): Recordings longer than this (seconds;
            default the model's clip length) are embedded window by
            window: a gallery file gives one match per window, with its
            times; a long query is its windows' mean.
        stride (float, optional): Seconds between windows (default half
            the window).

    Returns:
        dict: ``query``, ``query_modalities``, ``matches`` (``[{"input",
        "score", "rank", "start", "end"}]``, best first: the file and the
        seconds matched), ``errors`` (gallery files that
        could not be embedded) and ``frame_aggregation`` (None for one
        feature per clip).
    """
    if frame_aggregation is None:
        frame_aggregation = frame_aggregation_of(getattr(model, 'cfg', None))
    if frame_aggregation not in FRAME_AGGREGATIONS:
        raise ValueError(f'frame_aggregation must be one of '
                         f'{FRAME_AGGREGATIONS}, got {frame_aggregation!r}')
    embedded_query = embed_query(model, query, window, stride)
    needed = tuple(CROSS[m] for m in embedded_query)
    index = load_index(gallery)
    if index is None:
        items = embed_files(model, gallery, needed, batch_size, num_workers,
                            show_progress, window, stride)
    else:
        missing = [m for m in needed if m not in index]
        if missing:
            raise ValueError(f'the gallery index has no {" or ".join(missing)}'
                             ' embeddings for this query; build it with '
                             'those features (--features audio visual)')
        items = dict(index, errors=list(index.get('errors', [])))
    per_frame = bool(items['video_id']) and any(items[m].dim() == 3
                                                for m in needed)
    result = dict(
        query=query,
        query_modalities=list(embedded_query),
        matches=[],
        errors=items['errors'],
        frame_aggregation=frame_aggregation if per_frame else None)
    if not items['video_id']:
        return result
    score = torch.stack([
        cross_similarity(vector, items[CROSS[modality]], frame_aggregation)
        for modality, vector in embedded_query.items()
    ]).mean(dim=0)
    order = score.argsort(descending=True).tolist()
    if topk is not None:
        order = order[:topk]
    matches: List[Dict] = []
    for rank, i in enumerate(order):
        match = dict(
            input=items['video_id'][i], score=float(score[i]), rank=rank + 1)
        if items.get('start') is not None and len(items['start']) == len(
                items['video_id']):
            # the seconds of the file the row covers (a window of a long
            # file, or the whole file)
            match.update(start=items['start'][i], end=items['end'][i])
        matches.append(match)
    result['matches'] = matches
    return result
