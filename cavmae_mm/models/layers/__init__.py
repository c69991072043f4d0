"""Building blocks shared by the CAV-MAE encoder, decoder and heads."""
from .masking import (AUDIO_MASK_MODES, MaskedTokens, num_kept, random_masking,
                      structured_audio_noise)
from .patchify import audio_as_image, patchify, unpatchify
from .pos_embed import (add_pos_embed, fill_pos_embed, sincos_pos_embed_2d,
                        trim_audio_pos_embed, trim_time_columns)
from .tri_norm_block import (NORM_SETS, TriNormBlock, run_blocks,
                             set_fused_attention)
from .weight_init import init_linear_and_norm

__all__ = [
    'AUDIO_MASK_MODES', 'MaskedTokens', 'num_kept', 'random_masking',
    'structured_audio_noise', 'audio_as_image', 'patchify', 'unpatchify',
    'sincos_pos_embed_2d', 'trim_time_columns', 'add_pos_embed',
    'fill_pos_embed', 'trim_audio_pos_embed', 'NORM_SETS', 'TriNormBlock',
    'run_blocks', 'set_fused_attention', 'init_linear_and_norm'
]
