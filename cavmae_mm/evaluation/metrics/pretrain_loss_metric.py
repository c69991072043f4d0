"""The pretraining losses on an evaluation set (mean over its clips)."""
from typing import Dict, List, Sequence

from mmengine.evaluator import BaseMetric

from cavmae_mm.registry import METRICS


@METRICS.register_module()
class PretrainLossMetric(BaseMetric):
    """Means of ``loss_mae_a``, ``loss_mae_v``, ``loss_c`` and ``acc_c`` over
    the clips of an evaluation set, and their total ``loss`` (the sum of the
    weighted losses, what training minimises), as the official pretraining
    script reports each epoch. It is fed by :class:`PretrainLossValLoop`
    with one record per batch (``batch_size`` and the batch's values);
    MMEngine gathers the records of all ranks.
    """

    default_prefix = 'pretrain'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for record in data_samples:
            self.results.append(dict(record))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        clips = sum(r['batch_size'] for r in results)
        if not clips:
            raise ValueError('no evaluation clips')
        keys = [k for k in results[0] if k != 'batch_size']
        metrics = {
            k: sum(r[k] * r['batch_size'] for r in results) / clips
            for k in keys
        }
        metrics['loss'] = sum(v for k, v in metrics.items()
                              if k.startswith('loss'))
        return metrics
