from .cls_head import CAVMAEClsHead
from .contrastive_head import POOLINGS, CAVMAEContrastiveHead
from .frame_attention_head import CAVMAEFrameAttentionHead
from .reconstruction_head import CAVMAEReconstructionHead

__all__ = [
    'CAVMAEClsHead', 'CAVMAEContrastiveHead', 'CAVMAEFrameAttentionHead',
    'CAVMAEReconstructionHead', 'POOLINGS'
]
