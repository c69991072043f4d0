"""Initialisation shared by the encoder, the decoder and the heads."""
from torch import nn


def init_linear_and_norm(module: nn.Module) -> None:
    """Reference initialisation: xavier-uniform Linear, unit LayerNorm."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
