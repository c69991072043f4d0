from .frame_similarity import FRAME_AGGREGATIONS, frame_similarity
from .ranking import (average_precision, d_prime, multilabel_stats,
                      recall_at_k, retrieval_ranks, roc_auc)

__all__ = [
    'FRAME_AGGREGATIONS', 'average_precision', 'd_prime', 'frame_similarity',
    'multilabel_stats', 'recall_at_k', 'retrieval_ranks', 'roc_auc'
]
