"""Zero-shot audio-visual retrieval: R@1/5/10 and median rank."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from cavmae_mm.registry import METRICS
from ..functional import (FRAME_AGGREGATIONS, frame_similarity, recall_at_k,
                          retrieval_ranks)


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Audio->visual and visual->audio retrieval of paired clips.

    Uses each sample's ``audio_feature`` and ``visual_feature`` (the
    pretraining model's ``predict``). A feature [D] per clip (CAV-MAE) is
    L2-normalised and clips are compared by cosine. Features [K, D] per
    clip (CAV-MAE Sync: K frames, each with its audio segment) are compared
    frame by frame and aggregated by ``frame_aggregation`` (see
    :func:`~cavmae_mm.evaluation.functional.frame_similarity`). Features
    are gathered across ranks by MMEngine before ranking, so the result is
    that of the whole set. Ranking is vectorised, not the reference's
    Python loops.

    Args:
        ks (Sequence[int]): Recall cut-offs. Defaults to (1, 5, 10).
        frame_aggregation (str): For per-frame features: one of
            :data:`~cavmae_mm.evaluation.functional.FRAME_AGGREGATIONS`.
            Defaults to 'diagonal_mean' (the released Sync protocol).
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = 'retrieval'

    def __init__(self,
                 ks: Sequence[int] = (1, 5, 10),
                 frame_aggregation: str = 'diagonal_mean',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if frame_aggregation not in FRAME_AGGREGATIONS:
            raise ValueError(f'frame_aggregation must be one of '
                             f'{FRAME_AGGREGATIONS}, got '
                             f'{frame_aggregation!r}')
        self.ks = tuple(ks)
        self.frame_aggregation = frame_aggregation

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                dict(
                    audio=sample['audio_feature'].float().cpu(),
                    visual=sample['visual_feature'].float().cpu()))

    def similarity(self, audio: torch.Tensor,
                   visual: torch.Tensor) -> np.ndarray:
        """Audio-to-visual similarity [N, N] of stacked features [N, D] or
        [N, K, D]."""
        if audio.dim() == 3:
            return frame_similarity(audio, visual,
                                    self.frame_aggregation).numpy()
        audio, visual = F.normalize(audio, dim=-1), F.normalize(visual, dim=-1)
        return (audio @ visual.t()).double().numpy()

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        similarity = self.similarity(
            torch.stack([r['audio'] for r in results]),
            torch.stack([r['visual'] for r in results]))
        out = {}
        for name, sim in (('a2v', similarity), ('v2a', similarity.T)):
            for key, value in recall_at_k(retrieval_ranks(sim),
                                          self.ks).items():
                out[f'{name}_{key}'] = value
        return out
