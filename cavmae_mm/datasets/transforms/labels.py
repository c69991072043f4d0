"""Label encoding: multi-hot (or one-hot) float targets with smoothing."""
from typing import Dict, Optional, Sequence

import torch
from mmcv.transforms import BaseTransform

from cavmae_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EncodeLabels(BaseTransform):
    """Float target of the reference: ``eps / C`` everywhere, ``1 - eps`` on
    the clip's classes.

    The target is a float tensor, so it survives ``PackActionInputs``
    (which would turn numpy labels into integers) and collation. After
    ``AudioVisualMixup`` mixed two clips, it encodes their mixed target
    (:meth:`encode_mixed`) from ``mix_lambda`` and ``mix_label_indices``.

    Required Keys:
        - label_indices (list[int])
        - num_classes (int, set by ``AudioVisualDataset`` from its label CSV)
        - mix_lambda, mix_label_indices (only after mixing)

    Added Keys:
        - label (Tensor [num_classes], float32; or, with ``as_index``, the
          class index as a LongTensor [1])

    Args:
        num_classes (int, optional): Classes C; by default the dataset's.
            When given it must agree with the dataset's.
        label_smooth (float): eps. Defaults to 0.
        as_index (bool): For single-label evaluation (top-k accuracy): the
            class index instead of a one-hot target. Defaults to False.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 label_smooth: float = 0.0,
                 as_index: bool = False) -> None:
        if not 0.0 <= label_smooth < 1.0:
            raise ValueError(f'label_smooth must be in [0, 1), got '
                             f'{label_smooth}')
        self.num_classes = num_classes
        self.label_smooth = label_smooth
        self.as_index = as_index

    def _classes(self, results: Dict) -> int:
        given = results.get('num_classes')
        if self.num_classes is None:
            if given is None:
                raise KeyError('EncodeLabels needs num_classes: set it or '
                               'use a dataset that provides it')
            return given
        if given is not None and given != self.num_classes:
            raise ValueError(f'EncodeLabels(num_classes={self.num_classes}) '
                             f'but the dataset has {given} classes')
        return self.num_classes

    def encode(self, indices: Sequence[int], num_classes: int) -> torch.Tensor:
        """The target of one clip's class indices."""
        bad = [i for i in indices if not 0 <= i < num_classes]
        if bad:
            raise ValueError(f'label indices {bad} outside [0, '
                             f'{num_classes})')
        label = torch.full((num_classes, ), self.label_smooth / num_classes)
        label[list(indices)] = 1.0 - self.label_smooth
        return label

    def encode_mixed(self, first: Sequence[int], second: Sequence[int],
                     lam: float, num_classes: int) -> torch.Tensor:
        """The reference's target of a mixed pair: ``eps / C`` everywhere,
        plus ``lam (1 - eps)`` per class of the first clip and
        ``(1 - lam)(1 - eps)`` per class of the second. (Unmixed, a positive
        is ``1 - eps``; mixed with lam = 1 it would be ``eps / C + 1 - eps``:
        the reference's two rules differ by ``eps / C``, kept as they are.)
        """
        label = torch.full((num_classes, ),
                           self.label_smooth / num_classes,
                           dtype=torch.float64)
        for indices, weight in ((first, lam), (second, 1.0 - lam)):
            for i in indices:
                label[i] += weight * (1.0 - self.label_smooth)
        return label.float()

    def transform(self, results: Dict) -> Dict:
        indices = results['label_indices']
        if 'mix_lambda' in results:
            if self.as_index:
                raise ValueError('a mixed clip has no single class index '
                                 '(as_index=True after mixup)')
            results['label'] = self.encode_mixed(indices,
                                                 results['mix_label_indices'],
                                                 results['mix_lambda'],
                                                 self._classes(results))
            return results
        if self.as_index:
            if len(indices) != 1:
                raise ValueError(f'as_index needs one label per clip, got '
                                 f'{len(indices)}')
            self.encode(indices, self._classes(results))  # range check
            results['label'] = torch.tensor(indices, dtype=torch.long)
        else:
            results['label'] = self.encode(indices, self._classes(results))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'label_smooth={self.label_smooth}, '
                f'as_index={self.as_index})')
