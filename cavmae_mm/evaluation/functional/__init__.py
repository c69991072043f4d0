from .ranking import (average_precision, d_prime, multilabel_stats,
                      recall_at_k, retrieval_ranks, roc_auc)

__all__ = [
    'average_precision', 'd_prime', 'multilabel_stats', 'recall_at_k',
    'retrieval_ranks', 'roc_auc'
]
