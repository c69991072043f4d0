"""Metrics as a text table for the end of a test run; text tables for the
tools."""
import re
from typing import Dict, List

RETRIEVAL_KEY = re.compile(r'^(?:.*/)?(a2v|v2a)_(R@\d+|MedR)$')
DIRECTIONS = {'a2v': 'audio -> visual', 'v2a': 'visual -> audio'}


def text_table(header: List[str], rows: List[List[str]]) -> str:
    """A Markdown-style text table, each column as wide as its widest cell.

    Args:
        header (list[str]): Column names.
        rows (list[list[str]]): Cells, one list per row.

    Returns:
        str: The header, a rule and the rows, one per line.
    """
    widths = [
        max(len(row[i]) for row in [header] + rows)
        for i in range(len(header))
    ]

    def line(cells):
        return '| ' + ' | '.join(
            cell.ljust(width)
            for cell, width in zip(cells, widths, strict=True)) + ' |'

    rule = '|' + '|'.join('-' * (width + 2) for width in widths) + '|'
    return '\n'.join([line(header), rule] + [line(row) for row in rows])


def metrics_table(metrics: Dict[str, float]) -> str:
    """Retrieval metrics as one row per direction (R@k columns, median
    rank); any other metric as a name/value row."""
    retrieval: Dict[str, Dict[str, float]] = {}
    others = []
    for key, value in metrics.items():
        match = RETRIEVAL_KEY.match(key)
        if match:
            retrieval.setdefault(match[1], {})[match[2]] = value
        else:
            others.append([
                key, f'{value:.4f}' if isinstance(value, float) else str(value)
            ])
    parts = []
    if retrieval:
        columns = list(
            dict.fromkeys(c for values in retrieval.values() for c in values))
        rows = [[DIRECTIONS[direction]] +
                [f'{values[c]:.2f}' if c in values else '' for c in columns]
                for direction, values in sorted(retrieval.items())]
        parts.append(text_table(['retrieval'] + columns, rows))
    if others:
        parts.append(text_table(['metric', 'value'], others))
    return '\n\n'.join(parts)
