"""AudioSet's metrics: mAP, mean AUC and d-prime."""
import logging
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from cavmae_mm.registry import METRICS
from ..functional import multilabel_stats


@METRICS.register_module()
class AudioSetMetric(BaseMetric):
    """Multi-label classification metrics of the reference.

    Collects each sample's ``pred_score`` (e.g. the frame-averaged sigmoid)
    and multi-hot ``gt_label``; results are gathered across ranks by
    MMEngine. Classes without a positive sample cannot be scored and are left
    out of the means, with a logged count.

    Args:
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = 'audioset'

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                dict(
                    score=sample['pred_score'].float().cpu().numpy(),
                    target=sample['gt_label'].float().cpu().numpy()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        scores = np.stack([r['score'] for r in results])
        targets = np.stack([r['target'] for r in results])
        if scores.shape != targets.shape:
            raise ValueError(f'scores {scores.shape} and multi-hot targets '
                             f'{targets.shape} differ in shape')
        out = multilabel_stats(scores, targets)
        unscored = scores.shape[1] - out.pop('num_scored_classes')
        if unscored:
            print_log(
                f'AudioSetMetric: {unscored} of {scores.shape[1]} '
                'classes have no positive sample and are left out',
                logger='current',
                level=logging.WARNING)
        return out
