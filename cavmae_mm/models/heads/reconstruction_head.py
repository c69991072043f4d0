"""MAE reconstruction loss of CAV-MAE, for audio and visual patches."""
from typing import Dict

from mmengine.model import BaseModule
from torch import Tensor

from cavmae_mm.registry import MODELS
from ..layers import audio_as_image, patchify


@MODELS.register_module()
class CAVMAEReconstructionHead(BaseModule):
    """Mean squared error of the predicted patches, on masked patches only.

    Targets are the input patches in the decoder's order (audio fbank viewed
    as [B, 1, F, T]). With ``norm_pix`` each target patch is normalised by its
    own mean and (unbiased) variance plus 1e-6, which helps classification but
    makes the outputs useless for inpainting.

    Args:
        patch_size (int): Patch side. Defaults to 16.
        norm_pix (bool): Normalise each target patch. Defaults to True.
        loss_weight (float): Multiplies both losses; 0 switches the whole
            reconstruction branch (decoder included) off. Defaults to 1.
    """

    def __init__(self,
                 patch_size: int = 16,
                 norm_pix: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.norm_pix = norm_pix
        self.loss_weight = loss_weight

    def construct_targets(self, audios: Tensor,
                          imgs: Tensor) -> Dict[str, Tensor]:
        """Patchified (and, with ``norm_pix``, normalised) targets."""
        targets = dict(
            audio=patchify(audio_as_image(audios), self.patch_size),
            visual=patchify(imgs, self.patch_size))
        if self.norm_pix:
            for key, target in targets.items():
                mean = target.mean(dim=-1, keepdim=True)
                var = target.var(dim=-1, keepdim=True)
                targets[key] = (target - mean) / (var + 1.e-6)**.5
        return targets

    @staticmethod
    def masked_mse(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """Mean over masked patches of the per-patch mean squared error."""
        per_patch = ((pred - target)**2).mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum()

    def loss(self, pred_a: Tensor, pred_v: Tensor, audios: Tensor,
             imgs: Tensor, mask_a: Tensor,
             mask_v: Tensor) -> Dict[str, Tensor]:
        """Weighted reconstruction losses.

        Args:
            pred_a (Tensor): Audio predictions [B, La, p*p].
            pred_v (Tensor): Visual predictions [B, Lv, p*p*C].
            audios (Tensor): Input fbank [B, T, F].
            imgs (Tensor): Input images [B, C, H, W].
            mask_a (Tensor): Audio mask [B, La], 1 = masked.
            mask_v (Tensor): Visual mask [B, Lv], 1 = masked.

        Returns:
            dict: ``loss_mae_a`` and ``loss_mae_v``, each times loss_weight.
        """
        targets = self.construct_targets(audios, imgs)
        return dict(
            loss_mae_a=self.loss_weight *
            self.masked_mse(pred_a, targets['audio'], mask_a),
            loss_mae_v=self.loss_weight *
            self.masked_mse(pred_v, targets['visual'], mask_v))
