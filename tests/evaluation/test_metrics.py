"""AudioSet metrics and retrieval: against definitions written out."""
import itertools

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample

from cavmae_mm.evaluation import (AudioSetMetric, RetrievalMetric,
                                  average_precision, d_prime, recall_at_k,
                                  retrieval_ranks, roc_auc)


def brute_ap(target, score):
    """Sum over distinct thresholds t (descending) of
    (recall(t) - recall(previous)) * precision(t)."""
    positives = target.sum()
    ap, previous_recall = 0.0, 0.0
    for t in sorted(set(score.tolist()), reverse=True):
        chosen = score >= t
        tp = (target[chosen] > 0).sum()
        recall = tp / positives
        ap += (recall - previous_recall) * tp / chosen.sum()
        previous_recall = recall
    return ap


def brute_auc(target, score):
    pos, neg = score[target > 0], score[target == 0]
    pairs = [(p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg)]
    return float(np.mean(pairs))


@pytest.mark.parametrize('seed', range(5))
def test_ap_and_auc_match_their_definitions(seed):
    rng = np.random.default_rng(seed)
    target = (rng.random(40) < 0.3).astype(float)
    target[0] = 1
    target[1] = 0
    score = rng.integers(0, 8, 40).astype(float)  # many ties
    assert average_precision(target,
                             score) == pytest.approx(brute_ap(target, score))
    assert roc_auc(target, score) == pytest.approx(brute_auc(target, score))


def test_undefined_classes_and_d_prime():
    assert np.isnan(average_precision(np.zeros(4), np.arange(4.)))
    assert np.isnan(roc_auc(np.ones(4), np.arange(4.)))
    assert d_prime(0.5) == pytest.approx(0.0)
    assert d_prime(0.7602499389065233) == pytest.approx(1.0, abs=1e-9)


def test_audioset_metric_end_to_end():
    rng = np.random.default_rng(0)
    scores = rng.random((30, 4))
    targets = (rng.random((30, 4)) < 0.4).astype(np.float32)
    targets[:, 3] = 0  # a class without positives is left out
    samples = []
    for s, t in zip(scores, targets, strict=True):
        sample = ActionDataSample()
        sample.set_pred_score(torch.tensor(s))
        sample.set_gt_label(torch.tensor(t))
        samples.append(sample.to_dict())
    metric = AudioSetMetric()
    metric.process({}, samples)
    out = metric.evaluate(30)
    expected_map = np.mean(
        [brute_ap(targets[:, k], scores[:, k]) for k in range(3)])
    expected_auc = np.mean(
        [brute_auc(targets[:, k], scores[:, k]) for k in range(3)])
    assert out['audioset/mAP'] == pytest.approx(expected_map)
    assert out['audioset/mAUC'] == pytest.approx(expected_auc)
    assert out['audioset/d_prime'] == pytest.approx(d_prime(expected_auc))


def reference_retrieval(sim):
    """The reference's sort-and-search (no ties in random similarities)."""
    sx = np.sort(-sim, axis=1)
    d = np.diag(-sim)[:, None]
    ind = np.where(sx - d == 0)[1]
    return dict(
        R1=float(np.sum(ind == 0)) / len(ind),
        R5=float(np.sum(ind < 5)) / len(ind),
        R10=float(np.sum(ind < 10)) / len(ind),
        MR=np.median(ind) + 1)


def test_retrieval_matches_reference_and_both_directions():
    rng = np.random.default_rng(1)
    audio = rng.standard_normal((50, 16))
    visual = audio + rng.standard_normal((50, 16)) * 1.5
    samples = [
        dict(audio_feature=torch.tensor(a), visual_feature=torch.tensor(v))
        for a, v in zip(audio, visual, strict=True)
    ]
    metric = RetrievalMetric()
    metric.process({}, samples)
    out = metric.evaluate(50)
    a = audio / np.linalg.norm(audio, axis=1, keepdims=True)
    v = visual / np.linalg.norm(visual, axis=1, keepdims=True)
    for name, sim in (('a2v', a @ v.T), ('v2a', v @ a.T)):
        ref = reference_retrieval(sim)
        assert out[f'retrieval/{name}_R@1'] == pytest.approx(100 * ref['R1'])
        assert out[f'retrieval/{name}_R@5'] == pytest.approx(100 * ref['R5'])
        assert out[f'retrieval/{name}_R@10'] == pytest.approx(100 * ref['R10'])
        assert out[f'retrieval/{name}_MedR'] == pytest.approx(ref['MR'])


def test_perfect_pairs_rank_first():
    ranks = retrieval_ranks(np.eye(6) + 0.1)
    assert recall_at_k(ranks) == {
        'R@1': 100.0,
        'R@5': 100.0,
        'R@10': 100.0,
        'MedR': 1.0
    }


def test_metrics_table():
    from cavmae_mm.evaluation import metrics_table
    table = metrics_table({
        'retrieval/a2v_R@1': 12.5,
        'retrieval/a2v_R@5': 50.0,
        'retrieval/a2v_MedR': 4.5,
        'retrieval/v2a_R@1': 25.0,
        'retrieval/v2a_R@5': 100.0,
        'retrieval/v2a_MedR': 2.0,
        'audioset/mAP': 0.5123
    })
    lines = table.splitlines()
    assert lines[0].split('|')[1:-1] == [
        ' retrieval       ', ' R@1   ', ' R@5    ', ' MedR '
    ]
    assert lines[2] == '| audio -> visual | 12.50 | 50.00  | 4.50 |'
    assert lines[3] == '| visual -> audio | 25.00 | 100.00 | 2.00 |'
    assert '| audioset/mAP | 0.5123 |' in lines
