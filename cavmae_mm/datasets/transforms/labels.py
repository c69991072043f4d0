"""Label encoding: multi-hot (or one-hot) float targets with smoothing."""
from typing import Dict, Sequence

import torch
from mmcv.transforms import BaseTransform

from cavmae_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EncodeLabels(BaseTransform):
    """Float target of the reference: ``eps / C`` everywhere, ``1 - eps`` on
    the clip's classes.

    The target is a float tensor, so it survives ``PackActionInputs``
    (which would turn numpy labels into integers) and collation.

    Required Keys:
        - label_indices (list[int])

    Added Keys:
        - label (Tensor [num_classes], float32)

    Args:
        num_classes (int): Classes C.
        label_smooth (float): eps. Defaults to 0.
    """

    def __init__(self, num_classes: int, label_smooth: float = 0.0) -> None:
        if not 0.0 <= label_smooth < 1.0:
            raise ValueError(f'label_smooth must be in [0, 1), got '
                             f'{label_smooth}')
        self.num_classes = num_classes
        self.label_smooth = label_smooth

    def encode(self, indices) -> torch.Tensor:
        """The target of one clip's class indices."""
        bad = [i for i in indices if not 0 <= i < self.num_classes]
        if bad:
            raise ValueError(f'label indices {bad} outside [0, '
                             f'{self.num_classes})')
        label = torch.full((self.num_classes, ),
                           self.label_smooth / self.num_classes)
        label[list(indices)] = 1.0 - self.label_smooth
        return label

    def encode_mixed(self, first: Sequence[int], second: Sequence[int],
                     lam: float) -> torch.Tensor:
        """The reference's target of a mixed pair: ``eps / C`` everywhere,
        plus ``lam (1 - eps)`` per class of the first clip and
        ``(1 - lam)(1 - eps)`` per class of the second. (Unmixed, a positive
        is ``1 - eps``; mixed with lam = 1 it would be ``eps / C + 1 - eps``:
        the reference's two rules differ by ``eps / C``, kept as they are.)
        """
        label = torch.full((self.num_classes, ),
                           self.label_smooth / self.num_classes,
                           dtype=torch.float64)
        for indices, weight in ((first, lam), (second, 1.0 - lam)):
            for i in indices:
                label[i] += weight * (1.0 - self.label_smooth)
        return label.float()

    def transform(self, results: Dict) -> Dict:
        results['label'] = self.encode(results['label_indices'])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'label_smooth={self.label_smooth})')
