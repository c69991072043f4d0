"""Audio-visual search: rank videos by their cross-modal similarity to a
query, with the pretrained model's retrieval features."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from cavmae_mm.datasets.raw_media_dataset import (IMAGE_EXTENSIONS,
                                                  VIDEO_EXTENSIONS)
from cavmae_mm.utils.audio_io import AUDIO_EXTENSIONS
from .features import embed_files, embed_samples, raw_loader_for

#: What a query gives and what it is compared with in the gallery: the
#: zero-shot retrieval pairs (audio path vs visual path).
CROSS = dict(audio='visual', visual='audio')


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


def embed_query(model: nn.Module, query: str) -> Dict[str, torch.Tensor]:
    """The query's audio and/or visual embedding [D]: an image gives the
    visual one, an audio file the audio one, a video both (or the one it
    has)."""
    kind = query_kind(query)
    if kind == 'image':
        sample = raw_loader_for(model, ('visual', )).load_image(query)
        return {
            k: v[0]
            for k, v in embed_samples(model, [sample], ('visual', )).items()
        }
    wanted: Sequence[str] = ('audio', ) if kind == 'audio' else \
        ('audio', 'visual')
    found = embed_files(model, [query], wanted)
    if found['errors'] and kind == 'video':
        # a video without (usable) audio is still a visual query
        found = embed_files(model, [query], ('visual', ))
    if found['errors']:
        raise ValueError(found['errors'][0]['error'])
    return {
        k: found[k][0]
        for k in wanted if k in found and len(found['video_id'])
    }


def av_search(model: nn.Module,
              gallery,
              query: str,
              topk: Optional[int] = 10,
              batch_size: int = 8,
              num_workers: int = 0,
              show_progress: bool = False) -> Dict:
    """Ranks the gallery's videos by audio-visual similarity to a query.

    As zero-shot retrieval computes it: cosine similarity of mean-pooled
    encoder features across modalities. An audio query is compared with
    each video's frame (visual path), an image with each video's audio
    (audio path); a video query with both, its audio against the videos'
    frames and its frame against their audio, the two similarities
    averaged.

    Args:
        model (nn.Module): A pretrained CAV-MAE (``init_model`` of a
            retrieval config), or any model with the CAV-MAE encoder.
        gallery: Videos: files, folders (recursive) or ``.txt`` lists.
        query (str): An image, an audio file or a video.
        topk (int, optional): Matches to return; None for all.
        batch_size (int): Gallery files per forward pass.
        num_workers (int): Decoding processes.
        show_progress (bool): Progress bar while embedding the gallery.

    Returns:
        dict: ``query``, ``query_modalities``, ``matches`` (``[{"input",
        "score", "rank"}]``, best first) and ``errors`` (gallery files that
        could not be embedded).
    """
    embedded_query = embed_query(model, query)
    needed = tuple(CROSS[m] for m in embedded_query)
    items = embed_files(model, gallery, needed, batch_size, num_workers,
                        show_progress)
    if not items['video_id']:
        return dict(
            query=query,
            query_modalities=list(embedded_query),
            matches=[],
            errors=items['errors'])
    scores = []
    for modality, vector in embedded_query.items():
        other = F.normalize(items[CROSS[modality]], dim=-1)
        scores.append(other @ F.normalize(vector, dim=-1))
    score = torch.stack(scores).mean(dim=0)
    order = score.argsort(descending=True).tolist()
    if topk is not None:
        order = order[:topk]
    matches: List[Dict] = [
        dict(input=items['video_id'][i], score=float(score[i]), rank=rank + 1)
        for rank, i in enumerate(order)
    ]
    return dict(
        query=query,
        query_modalities=list(embedded_query),
        matches=matches,
        errors=items['errors'])
