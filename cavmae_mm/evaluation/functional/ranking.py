"""Vectorised ranking metrics: per-class AP and ROC AUC, d-prime, recall@K."""
from typing import Dict, Sequence

import numpy as np
from scipy import stats


def average_precision(target: np.ndarray, score: np.ndarray) -> float:
    """Area under the step precision-recall curve (scikit-learn's
    ``average_precision_score``): ties in the score form one threshold.

    Args:
        target (np.ndarray): [N] binary (any positive value counts as 1).
        score (np.ndarray): [N] scores.

    Returns:
        float: AP; nan when there is no positive.
    """
    positive = target > 0
    total = positive.sum()
    if total == 0:
        return float('nan')
    order = np.argsort(-score, kind='mergesort')
    sorted_score, sorted_pos = score[order], positive[order]
    true_pos = np.cumsum(sorted_pos)
    # keep the last index of each run of equal scores (one threshold each)
    last = np.r_[sorted_score[1:] != sorted_score[:-1], True]
    tp, seen = true_pos[last], np.flatnonzero(last) + 1
    precision = tp / seen
    recall_gain = np.diff(np.r_[0, tp]) / total
    return float((recall_gain * precision).sum())


def roc_auc(target: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum statistic (ties count one half).

    Returns:
        float: AUC; nan when there is no positive or no negative.
    """
    positive = target > 0
    num_pos, num_neg = positive.sum(), (~positive).sum()
    if num_pos == 0 or num_neg == 0:
        return float('nan')
    ranks = stats.rankdata(score)
    return float((ranks[positive].sum() - num_pos * (num_pos + 1) / 2) /
                 (num_pos * num_neg))


def d_prime(auc: float) -> float:
    """``sqrt(2) * Phi^-1(AUC)``, AudioSet's d-prime."""
    return float(stats.norm().ppf(auc) * np.sqrt(2.0))


def multilabel_stats(scores: np.ndarray,
                     targets: np.ndarray) -> Dict[str, float]:
    """mAP, mean AUC and d-prime over the classes that can be scored.

    Args:
        scores (np.ndarray): [N, C].
        targets (np.ndarray): [N, C] multi-hot (values > 0.5 are positive).

    Returns:
        dict: ``mAP``, ``mAUC``, ``d_prime`` and ``num_scored_classes``
        (classes with at least one positive, and one negative for AUC).
    """
    binary = targets > 0.5
    aps = np.array([
        average_precision(binary[:, k], scores[:, k])
        for k in range(scores.shape[1])
    ])
    aucs = np.array(
        [roc_auc(binary[:, k], scores[:, k]) for k in range(scores.shape[1])])
    mauc = float(np.nanmean(aucs)) if np.isfinite(aucs).any() else \
        float('nan')
    return dict(
        mAP=float(np.nanmean(aps)) if np.isfinite(aps).any() else float('nan'),
        mAUC=mauc,
        d_prime=d_prime(mauc),
        num_scored_classes=int(np.isfinite(aps).sum()))


def retrieval_ranks(similarity: np.ndarray) -> np.ndarray:
    """0-based rank of the matching item (the diagonal) in each row.

    Counts the items scored strictly higher than the match, so ties are in
    the query's favour (the reference's sort-and-search behaves the same
    without ties).
    """
    diagonal = np.diag(similarity)[:, None]
    return (similarity > diagonal).sum(axis=1)


def recall_at_k(ranks: np.ndarray, ks: Sequence[int] = (1, 5, 10)) -> dict:
    """R@K (in percent) and the median rank (1-based) of 0-based ranks, as
    ``{'R@1': float, ..., 'MedR': float}``."""
    out = {f'R@{k}': float((ranks < k).mean() * 100) for k in ks}
    out['MedR'] = float(np.median(ranks) + 1)
    return out
