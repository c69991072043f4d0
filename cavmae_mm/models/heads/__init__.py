from .cls_head import CAVMAEClsHead
from .contrastive_head import CAVMAEContrastiveHead
from .reconstruction_head import CAVMAEReconstructionHead

__all__ = [
    'CAVMAEClsHead', 'CAVMAEContrastiveHead', 'CAVMAEReconstructionHead'
]
