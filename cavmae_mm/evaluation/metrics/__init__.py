from .audioset_metric import AudioSetMetric
from .retrieval_metric import RetrievalMetric

__all__ = ['AudioSetMetric', 'RetrievalMetric']
