"""How a state dict fits a model: missing, unexpected and reshaped tensors,
by part (``backbone``, ``neck``, ``cls_head``, ...)."""
from typing import Dict, List, NamedTuple, Tuple

from torch import Tensor, nn

Shape = Tuple[int, ...]
#: Parts a recipe may start without (built anew) or leave unused.
REPLACEABLE = ('cls_head', )


class Comparison(NamedTuple):
    """How a state dict fits a model."""
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, Shape, Shape]]


def part_of(key: str) -> str:
    """The top-level module of a state-dict key (``backbone``, ...)."""
    return key.split('.', 1)[0]


def adaptable(key: str, got: Shape, want: Shape) -> bool:
    """Audio position tables of longer clips: the encoder and decoder trim
    them when loading (see their ``_load_from_state_dict``)."""
    return key.endswith('pos_embed_a') and len(got) == len(want) == 3 and \
        got[0] == want[0] and got[2] == want[2] and got[1] > want[1]


def compare(model: nn.Module, state: Dict[str, Tensor]) -> Comparison:
    """Missing, unexpected and differently shaped tensors."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [(k, tuple(v.shape), expected[k]) for k, v in state.items()
                  if k in expected and tuple(v.shape) != expected[k]
                  and not adaptable(k, tuple(v.shape), expected[k])]
    return Comparison(missing, unexpected, mismatched)


def mismatched_keys(found: Comparison) -> List[str]:
    """The names of the differently shaped tensors."""
    return [key for key, _, _ in found.mismatched]


def blocking_mismatches(found: Comparison) -> Comparison:
    """The differently shaped tensors outside the :data:`REPLACEABLE`
    parts: those that stop a pretrained start."""
    return Comparison(
        [], [],
        [m for m in found.mismatched if part_of(m[0]) not in REPLACEABLE])
