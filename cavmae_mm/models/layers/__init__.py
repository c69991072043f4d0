"""Building blocks shared by the CAV-MAE encoder, decoder and heads."""
from .masking import (AUDIO_MASK_MODES, MaskedTokens, num_kept, random_masking,
                      structured_audio_noise)
from .patchify import audio_as_image, patchify, unpatchify
from .pos_embed import sincos_pos_embed_2d, trim_time_columns
from .tri_norm_block import (NORM_SETS, TriNormBlock, run_blocks,
                             set_fused_attention)

__all__ = [
    'AUDIO_MASK_MODES', 'MaskedTokens', 'num_kept', 'random_masking',
    'structured_audio_noise', 'audio_as_image', 'patchify', 'unpatchify',
    'sincos_pos_embed_2d', 'trim_time_columns', 'NORM_SETS', 'TriNormBlock',
    'run_blocks', 'set_fused_attention'
]
