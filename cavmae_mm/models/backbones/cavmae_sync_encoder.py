"""The CAV-MAE Sync encoder: CAV-MAE's encoder with global, register and
contrastive-head tokens and blocks (Araujo et al., CVPR 2025)."""
from typing import Dict, List, Sequence

import torch
from torch import Tensor, nn

from cavmae_mm.registry import MODELS
from ..modality import PATHS
from .cavmae_encoder import CAVMAEEncoder

#: The modality of each single-modality norm set, and the tag of its
#: parameters (``cls_token_a``, ``contrastive_blocks_a``...).
_TAGS = {'audio': 'a', 'visual': 'v'}


def _drop_trailing(tokens: Tensor, lengths: Sequence[int],
                   count: int) -> Tensor:
    """Removes the last ``count`` tokens of each consecutive part of
    ``lengths`` tokens (the kept register tokens of each modality)."""
    parts: List[Tensor] = []
    start = 0
    for length in lengths:
        parts.append(tokens[:, start:start + length - count])
        start += length
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


@MODELS.register_module()
class CAVMAESyncEncoder(CAVMAEEncoder):
    """The CAV-MAE encoder with CAV-MAE Sync's tokens and blocks.

    The input is one video frame and the audio segment centred on it
    (``target_length`` fbank frames, 416 = about 4 s in the released model,
    see :class:`~cavmae_mm.datasets.transforms.AlignAudioToFrames`). After
    the patch embedding and the masking, each modality's kept patch tokens
    get

    - a learned **global token** in front (``cls_token_a`` /
      ``cls_token_v``, ``global_tokens=True``): the contrastive loss and
      retrieval use it, the reconstruction does not see it;
    - ``num_register_tokens`` learned **register tokens** at the end
      (``register_tokens``, audio's first), which the modality-specific
      blocks attend to and which are then dropped (or, with
      ``keep_register_tokens``, dropped at the output of the shared
      blocks).

    The paths of :data:`~cavmae_mm.models.modality.PATHS` then read these
    tokens: the ``joint`` path (reconstruction) the patch tokens only; the
    single-modality paths the global token too, and the ``audio`` and
    ``visual`` paths (contrastive) run ``contrastive_depth`` extra blocks of
    their own (``contrastive_blocks_a`` / ``_v``, the official
    ``constrative_head_audio`` / ``_visual``) before their final norm.
    Every other computation, and every parameter name, is
    :class:`CAVMAEEncoder`'s.

    Args:
        target_length (int): Fbank frames of one segment. Defaults to 416.
        num_mel_bins (int): Fbank bins. Defaults to 128.
        frame_size (int): Image side. Defaults to 224.
        patch_size (int): Patch side. Defaults to 16 (the four sizes as
            :class:`CAVMAEEncoder`'s, from the config's ``input_geometry``).
        num_register_tokens (int): Register tokens per modality. Defaults
            to 8 (the released model).
        global_tokens (bool): Add the global tokens. Defaults to True.
        keep_register_tokens (bool): Keep the registers through the shared
            blocks (dropped at each path's output). Defaults to False.
        contrastive_depth (int): Blocks of the contrastive heads. Defaults
            to 0 (the released model has none; the official class's
            default is 2).
        **kwargs: :class:`CAVMAEEncoder` arguments.
    """

    def __init__(self,
                 target_length: int = 416,
                 num_mel_bins: int = 128,
                 frame_size: int = 224,
                 patch_size: int = 16,
                 num_register_tokens: int = 8,
                 global_tokens: bool = True,
                 keep_register_tokens: bool = False,
                 contrastive_depth: int = 0,
                 **kwargs) -> None:
        super().__init__(
            target_length=target_length,
            num_mel_bins=num_mel_bins,
            frame_size=frame_size,
            patch_size=patch_size,
            **kwargs)
        if num_register_tokens < 0 or contrastive_depth < 0:
            raise ValueError('num_register_tokens and contrastive_depth '
                             'must be >= 0, got '
                             f'{num_register_tokens}, {contrastive_depth}')
        if keep_register_tokens and not num_register_tokens:
            raise ValueError('keep_register_tokens needs register tokens')
        self.num_register_tokens = num_register_tokens
        self.global_tokens = global_tokens
        self.keep_register_tokens = keep_register_tokens
        dim = self.embed_dim
        self.register_tokens = nn.Parameter(
            torch.zeros(2 * num_register_tokens,
                        dim)) if num_register_tokens else None
        if global_tokens:
            self.cls_token_a = nn.Parameter(torch.zeros(1, 1, dim))
            self.cls_token_v = nn.Parameter(torch.zeros(1, 1, dim))
        self.contrastive_blocks_a = self.make_blocks([0.0] * contrastive_depth)
        self.contrastive_blocks_v = self.make_blocks([0.0] * contrastive_depth)

    def init_weights(self) -> None:
        """CAV-MAE's initialisation, then the official code's for the new
        tokens: global tokens N(0, 0.02), register tokens N(0, 1)."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            return
        with torch.no_grad():
            if self.global_tokens:
                nn.init.normal_(self.cls_token_a, std=0.02)
                nn.init.normal_(self.cls_token_v, std=0.02)
            if self.register_tokens is not None:
                nn.init.normal_(self.register_tokens, std=1.0)

    def train_only_paths(self, paths: Sequence[str]) -> None:
        """:meth:`CAVMAEEncoder.train_only_paths`, plus the new tokens and
        blocks of the modalities and paths in use."""
        super().train_only_paths(paths)
        read = {m for p in paths for m in PATHS[p].inputs}
        for modality, tag in _TAGS.items():
            if self.global_tokens:
                getattr(self,
                        f'cls_token_{tag}').requires_grad_(modality in read)
            getattr(
                self,
                f'contrastive_blocks_{tag}').requires_grad_(modality in paths)
        if self.register_tokens is not None:
            self.register_tokens.requires_grad_(bool(read))

    def has_global_tokens(self, extra_tokens: bool = True) -> bool:
        """Whether the modality tokens start with a global token."""
        return self.global_tokens and extra_tokens

    def _registers(self, modality: str, like: Tensor) -> Tensor:
        count = self.num_register_tokens
        rows = self.register_tokens[:count] if modality == 'audio' else \
            self.register_tokens[count:]
        return rows.to(like.dtype).unsqueeze(0).expand(like.shape[0], -1, -1)

    def encode_modality(self,
                        tokens: Tensor,
                        modality: str,
                        extra_tokens: bool = True) -> Tensor:
        """Adds the global and register tokens (unless ``extra_tokens`` is
        False), runs the modality-specific blocks and drops the registers
        (unless they are kept).

        Returns:
            Tensor: [B, (1 +) L (+ R), D]: the global token first when
            there is one.
        """
        if not extra_tokens:
            return super().encode_modality(tokens, modality)
        parts = [tokens]
        if self.global_tokens:
            cls = getattr(self, f'cls_token_{_TAGS[modality]}')
            parts.insert(0,
                         cls.to(tokens.dtype).expand(tokens.shape[0], -1, -1))
        if self.register_tokens is not None:
            parts.append(self._registers(modality, tokens))
        encoded = super().encode_modality(torch.cat(parts, dim=1), modality)
        if self.register_tokens is not None and not self.keep_register_tokens:
            encoded = encoded[:, :-self.num_register_tokens]
        return encoded

    def route(self,
              specific: Dict[str, Tensor],
              paths: Sequence[str],
              extra_tokens: bool = True) -> Dict[str, Tensor]:
        """Each path's features: the joint path reads the patch tokens only
        (without the global tokens), the others their modality's tokens as
        they are; the ``audio`` and ``visual`` paths add the contrastive
        blocks; kept registers are dropped at the output.

        Returns:
            dict[str, Tensor]: Tokens [B, N, D] per path; for all but
            ``joint``, the global token first when there is one.
        """
        skip = int(self.has_global_tokens(extra_tokens))
        kept = self.num_register_tokens if (
            extra_tokens and self.keep_register_tokens) else 0
        features = {}
        for path in paths:
            spec = PATHS[path]
            parts = [specific[m] for m in spec.inputs]
            if len(parts) > 1:
                parts = [part[:, skip:] for part in parts]
            tokens = parts[0] if len(parts) == 1 else torch.cat(parts, 1)
            if spec.norm_set is not None:
                tokens = self._run(self.blocks_u, tokens, spec.norm_set)
            if spec.norm_set in _TAGS:
                tokens = self._run(
                    getattr(self,
                            f'contrastive_blocks_{_TAGS[spec.norm_set]}'),
                    tokens, 'joint')
            if kept:
                tokens = _drop_trailing(tokens, [p.shape[1] for p in parts],
                                        kept)
            if spec.final_norm is not None:
                tokens = getattr(self, spec.final_norm)(tokens)
            features[path] = tokens
        return features

    def extra_repr(self) -> str:
        return (f'num_register_tokens={self.num_register_tokens}, '
                f'global_tokens={self.global_tokens}, '
                f'keep_register_tokens={self.keep_register_tokens}')
