from .audioset_metric import AudioSetMetric
from .pretrain_loss_metric import PretrainLossMetric
from .retrieval_metric import RetrievalMetric

__all__ = ['AudioSetMetric', 'PretrainLossMetric', 'RetrievalMetric']
