"""Zero-shot audio-visual retrieval: R@1/5/10 and median rank."""
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from cavmae_mm.registry import METRICS
from ..functional import recall_at_k, retrieval_ranks


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Audio->visual and visual->audio retrieval of paired clips.

    Uses each sample's mean-pooled ``audio_feature`` and ``visual_feature``
    (the pretraining model's ``predict``), L2-normalised; the similarity is
    their cosine. Features are gathered across ranks by MMEngine before
    ranking, so the result is that of the whole set. Ranking is one matrix
    product, not the reference's double Python loop.

    Args:
        ks (Sequence[int]): Recall cut-offs. Defaults to (1, 5, 10).
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = 'retrieval'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), **kwargs) -> None:
        super().__init__(**kwargs)
        self.ks = tuple(ks)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                dict(
                    audio=sample['audio_feature'].float().cpu(),
                    visual=sample['visual_feature'].float().cpu()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        audio = F.normalize(torch.stack([r['audio'] for r in results]), dim=-1)
        visual = F.normalize(
            torch.stack([r['visual'] for r in results]), dim=-1)
        similarity = (audio @ visual.t()).double().numpy()
        out = {}
        for name, sim in (('a2v', similarity), ('v2a', similarity.T)):
            for key, value in recall_at_k(retrieval_ranks(sim),
                                          self.ks).items():
                out[f'{name}_{key}'] = value
        return out
