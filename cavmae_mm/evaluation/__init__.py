"""Evaluation: AudioSet metrics and retrieval (registered in METRICS)."""
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .report import metrics_table, text_table  # noqa: F401
