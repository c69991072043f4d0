"""Similarity of clips represented by the features of their frames
(CAV-MAE Sync's retrieval: one audio segment per frame)."""
import torch
import torch.nn.functional as F
from torch import Tensor

#: How the cosine similarities of two clips' frames make one score, as the
#: official ``src/retrieval.py`` of CAV-MAE Sync names them:
#: ``diagonal_mean`` / ``diagonal_max`` compare frame k with frame k
#: (the released model's protocol: ``diagonal_mean``), ``mean`` / ``max``
#: compare every frame pair.
FRAME_AGGREGATIONS = ('diagonal_mean', 'diagonal_max', 'mean', 'max')


def frame_similarity(queries: Tensor,
                     items: Tensor,
                     aggregation: str = 'diagonal_mean',
                     chunk: int = 64) -> Tensor:
    """Clip-to-clip similarity [N, M] of frame features.

    Args:
        queries (Tensor): [N, K, D], the K frame features of N clips.
        items (Tensor): [M, K, D].
        aggregation (str): One of :data:`FRAME_AGGREGATIONS`.
        chunk (int): Query clips per step of 'max' (which compares K x K
            frame pairs of every clip pair).

    Returns:
        Tensor: float64 scores, the mean or max of frame cosines.
    """
    if aggregation not in FRAME_AGGREGATIONS:
        raise ValueError(f'aggregation must be one of {FRAME_AGGREGATIONS}, '
                         f'got {aggregation!r}')
    if queries.dim() != 3 or items.dim() != 3 or \
            queries.shape[1:] != items.shape[1:]:
        raise ValueError('frame features must be [N, K, D] and [M, K, D] '
                         f'with the same K and D, got {tuple(queries.shape)} '
                         f'and {tuple(items.shape)}')
    queries = F.normalize(queries.double(), dim=-1)
    items = F.normalize(items.double(), dim=-1)
    frames = queries.shape[1]
    if aggregation == 'diagonal_mean':
        return torch.einsum('ikd,jkd->ij', queries, items) / frames
    if aggregation == 'diagonal_max':
        return torch.einsum('ikd,jkd->ijk', queries, items).amax(dim=-1)
    if aggregation == 'mean':
        return queries.sum(dim=1) @ items.sum(dim=1).t() / frames**2
    flat_items = items.flatten(0, 1).t()  # [D, M * K]
    rows = []
    for start in range(0, len(queries), chunk):
        part = queries[start:start + chunk]
        pairs = (part.flatten(0, 1) @ flat_items).view(
            len(part), frames, len(items), frames)
        rows.append(pairs.amax(dim=(1, 3)))
    return torch.cat(rows)
