"""Pictures and playable results: the timeline of a long-file
classification as subtitles, a figure and an annotated video."""
from .timeline import (annotate_video, display_intervals, plot_timeline,
                       write_subtitles)

__all__ = [
    'annotate_video', 'display_intervals', 'plot_timeline', 'write_subtitles'
]
