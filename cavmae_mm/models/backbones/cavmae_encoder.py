"""The CAV-MAE encoder: the one implementation of every encoder path."""
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from timm.layers import PatchEmbed
from torch import Tensor, nn

from cavmae_mm.geometry import InputGeometry
from cavmae_mm.registry import MODELS
from ..layers import (AUDIO_MASK_MODES, MaskedTokens, TriNormBlock,
                      add_pos_embed, audio_as_image, fill_pos_embed,
                      init_linear_and_norm, random_masking, run_blocks,
                      structured_audio_noise)
from ..modality import PATHS, inputs_of


def _sort_keys(tokens: Tensor, noise: Optional[Tensor]) -> Tensor:
    """The masking sort keys: ``noise``, or ``torch.rand(B, L)`` drawn now
    (the reference's draw)."""
    if noise is not None:
        return noise
    return torch.rand(tokens.shape[:2], device=tokens.device)


@dataclass
class EncoderOutput:
    """What :meth:`CAVMAEEncoder.forward` returns.

    Attributes:
        paths (dict[str, Tensor]): Token features [B, N, D] of each requested
            path (after its final norm).
        audio_masking (MaskedTokens, optional): Present when audio was masked.
        visual_masking (MaskedTokens, optional): Present when images were
            masked.
        leading_global (bool): Whether the tokens of every path but
            ``joint`` start with their modality's global token (CAV-MAE
            Sync's encoder, see :class:`CAVMAESyncEncoder`).
    """
    paths: Dict[str, Tensor] = field(default_factory=dict)
    audio_masking: Optional[MaskedTokens] = None
    visual_masking: Optional[MaskedTokens] = None
    leading_global: bool = False


@MODELS.register_module()
class CAVMAEEncoder(BaseModule):
    """CAV-MAE encoder: patch embeddings, modality-specific and shared blocks.

    Audio fbank [B, T, F] is viewed as a one-channel image [B, 1, F, T] and cut
    into 16x16 patches (frequency-major, (F/16) x (T/16) grid); images
    [B, 3, H, W] likewise. Each modality gets a fixed (or, for finetuning,
    trainable) 2-D sin-cos position table and a learned modality embedding,
    then ``modality_specific_depth`` blocks of its own, then the shared blocks
    whose LayerNorm set depends on the path (see :data:`PATHS`).

    Parameter names match the released checkpoints one to one.

    Args:
        target_length (int): Fbank frames T. Defaults to 1024 (10 s).
        num_mel_bins (int): Fbank bins F. Defaults to 128.
        frame_size (int): Image side. Defaults to 224.
        patch_size (int): Patch side. Defaults to 16. The four sizes make
            the encoder's :class:`InputGeometry` (``geometry``); configs
            state the first three once, in ``input_geometry``.
        in_channels (int): Image channels. Defaults to 3.
        embed_dim (int): Token width. Defaults to 768.
        depth (int): Total blocks per modality path. Defaults to 12.
        modality_specific_depth (int): Blocks of each modality before the
            shared ones. Defaults to 11.
        num_heads (int): Attention heads. Defaults to 12.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        qkv_bias (bool): qkv bias. Defaults to True.
        drop_path_rate (float): Stochastic depth, increasing linearly over the
            depth of each path. Defaults to 0 (as every official recipe).
        trainable_pos_embed (bool): Train the position tables (finetuning) or
            keep them fixed (pretraining). Defaults to False.
        fused_attn (bool): Fused attention kernel; False gives the plain
            math path. Defaults to True.
        with_cp (bool): Activation checkpointing of every block during
            training (less memory, ~1/3 more compute). Defaults to False.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self,
                 target_length: int = 1024,
                 num_mel_bins: int = 128,
                 frame_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 embed_dim: int = 768,
                 depth: int = 12,
                 modality_specific_depth: int = 11,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.0,
                 trainable_pos_embed: bool = False,
                 fused_attn: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.with_cp = with_cp
        if not 0 < modality_specific_depth < depth:
            raise ValueError('modality_specific_depth must be in '
                             f'(0, {depth}), got {modality_specific_depth}')
        self.geometry = InputGeometry(target_length, num_mel_bins, frame_size,
                                      patch_size)
        self.embed_dim = embed_dim
        self.trainable_pos_embed = trainable_pos_embed
        add_pos_embed(self, embed_dim, trainable_pos_embed)
        self.patch_embed_a = PatchEmbed((num_mel_bins, target_length),
                                        patch_size, 1, embed_dim)
        self.patch_embed_v = PatchEmbed(frame_size, patch_size, in_channels,
                                        embed_dim)
        self.modality_a = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.modality_v = nn.Parameter(torch.zeros(1, 1, embed_dim))

        drop_rates = [
            drop_path_rate * i / max(depth - 1, 1) for i in range(depth)
        ]
        self._block_args = dict(
            dim=embed_dim,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            fused_attn=fused_attn)
        self.blocks_a = self.make_blocks(drop_rates[:modality_specific_depth])
        self.blocks_v = self.make_blocks(drop_rates[:modality_specific_depth])
        self.blocks_u = self.make_blocks(drop_rates[modality_specific_depth:])
        self.norm_a = nn.LayerNorm(embed_dim)
        self.norm_v = nn.LayerNorm(embed_dim)
        self.norm = nn.LayerNorm(embed_dim)

    def make_blocks(self, drop_path_rates: Sequence[float]) -> nn.ModuleList:
        """One encoder block per stochastic-depth rate."""
        return nn.ModuleList(
            TriNormBlock(drop_path=rate, **self._block_args)
            for rate in drop_path_rates)

    # ------------------------------------------------------------------ init
    def init_weights(self) -> None:
        """Fills the sin-cos tables and initialises as the reference does."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            return
        fill_pos_embed(self)
        with torch.no_grad():
            for embed in (self.patch_embed_a, self.patch_embed_v):
                weight = embed.proj.weight
                nn.init.xavier_uniform_(weight.view(weight.shape[0], -1))
            nn.init.normal_(self.modality_a, std=0.02)
            nn.init.normal_(self.modality_v, std=0.02)
        self.apply(init_linear_and_norm)

    def train_only_paths(self, paths: Sequence[str]) -> None:
        """Freezes what none of ``paths`` uses (see
        :meth:`TriNormBlock.train_only_norm_sets`): the branch of a modality
        no path reads, the audio and visual norm pairs of the
        modality-specific blocks, and the shared blocks' norm pairs and
        final norms that the paths do not use. Numerically nothing changes:
        these parameters would get no gradient anyway."""
        used = inputs_of(paths)
        for modality, tag in (('audio', 'a'), ('visual', 'v')):
            on = modality in used
            getattr(self, f'patch_embed_{tag}').requires_grad_(on)
            getattr(self, f'modality_{tag}').requires_grad_(on)
            getattr(self, f'pos_embed_{tag}').requires_grad_(
                on and self.trainable_pos_embed)
            for block in getattr(self, f'blocks_{tag}'):
                block.requires_grad_(on)
                if on:
                    block.train_only_norm_sets(('joint', ))
        used_sets = {PATHS[p].norm_set for p in paths} - {None}
        for block in self.blocks_u:
            block.requires_grad_(bool(used_sets))
            block.train_only_norm_sets(used_sets)
        used_final = {PATHS[p].final_norm for p in paths}
        for name in ('norm', 'norm_a', 'norm_v'):
            getattr(self, name).requires_grad_(name in used_final)

    # --------------------------------------------------------------- embed
    def embed_audio(self, fbank: Tensor) -> Tensor:
        """Audio fbank [B, T, F] -> tokens [B, La, D] with position and
        modality embeddings."""
        frames, bins = self.geometry.fbank_shape
        if fbank.dim() != 3 or fbank.shape[1:] != (frames, bins):
            raise ValueError(f'audio must be fbank of shape [B, {frames}, '
                             f'{bins}], got {tuple(fbank.shape)}')
        tokens = self.patch_embed_a(audio_as_image(fbank))
        return tokens + self.pos_embed_a + self.modality_a

    def embed_visual(self, imgs: Tensor) -> Tensor:
        """Images [B, C, H, W] -> tokens [B, Lv, D] with position and
        modality embeddings."""
        side = self.geometry.frame_size
        if imgs.dim() != 4 or imgs.shape[2:] != (side, side):
            raise ValueError(f'images must have shape [B, C, {side}, '
                             f'{side}], got {tuple(imgs.shape)}')
        tokens = self.patch_embed_v(imgs)
        return tokens + self.pos_embed_v + self.modality_v

    # ------------------------------------------------------------- stages
    def _run(self, blocks: nn.ModuleList, x: Tensor, norm_set: str) -> Tensor:
        return run_blocks(
            blocks, x, norm_set, with_cp=self.with_cp and self.training)

    def forward_shared(self, tokens: Tensor, path: str) -> Tensor:
        """Runs tokens through the shared blocks and final norm of a path
        (a ``*_specific`` path returns them as they are)."""
        spec = PATHS[path]
        if spec.norm_set is None:
            return tokens
        return getattr(self, spec.final_norm)(
            self._run(self.blocks_u, tokens, spec.norm_set))

    def encode_modality(self,
                        tokens: Tensor,
                        modality: str,
                        extra_tokens: bool = True) -> Tensor:
        """Runs embedded (kept) tokens of ``modality`` ('audio' or
        'visual') through its modality-specific blocks. ``extra_tokens`` is
        for encoders that add tokens of their own (see
        :class:`CAVMAESyncEncoder`); this one has none."""
        blocks = self.blocks_a if modality == 'audio' else self.blocks_v
        return self._run(blocks, tokens, 'joint')

    def forward(self,
                audios: Optional[Tensor] = None,
                imgs: Optional[Tensor] = None,
                paths: Sequence[str] = ('joint', ),
                mask_ratio_a: float = 0.0,
                mask_ratio_v: float = 0.0,
                audio_mask_mode: str = 'unstructured',
                noise_a: Optional[Tensor] = None,
                noise_v: Optional[Tensor] = None,
                audio_repeats: int = 1,
                extra_tokens: bool = True) -> EncoderOutput:
        """Encodes audio and/or images along the requested paths.

        Masking happens when a ratio is above 0. Without explicit noise the
        sort keys are drawn as ``torch.rand(B, L)``, audio first, then
        images, as the reference does, so a seeded run reproduces its masks.
        An explicit noise takes the place of that draw (the structured audio
        modes still force their rows and columns on top of it).

        Args:
            audios (Tensor, optional): Normalised fbank [B, T, F].
            imgs (Tensor, optional): Normalised images [B, C, H, W].
            paths (Sequence[str]): Keys of :data:`PATHS` to compute.
            mask_ratio_a (float): Audio masking ratio.
            mask_ratio_v (float): Visual masking ratio.
            audio_mask_mode (str): One of :data:`AUDIO_MASK_MODES`.
            noise_a (Tensor, optional): Audio sort keys [B, La].
            noise_v (Tensor, optional): Visual sort keys [B, Lv].
            audio_repeats (int): Each clip's audio pairs with this many
                consecutive images (the frames of a multi-frame test:
                ``imgs`` holds B * audio_repeats images). The audio-specific
                blocks then run once per clip and their output is repeated
                before the shared blocks, which gives what repeating the
                fbank would, at a fraction of the cost. No masking.
            extra_tokens (bool): Add the encoder's own tokens (CAV-MAE
                Sync's global and register tokens; nothing here). False
                reproduces the official Sync missing-modality modes, which
                run without them.

        Returns:
            EncoderOutput: Token features per path, and the masks.
        """
        needed = self._check_inputs(audios, imgs, paths, audio_mask_mode)
        if audio_repeats > 1 and (mask_ratio_a > 0 or mask_ratio_v > 0):
            raise ValueError('audio_repeats needs unmasked inputs')
        out = EncoderOutput()
        specific: Dict[str, Tensor] = {}
        audio_tokens = self.embed_audio(audios) if 'audio' in needed else None
        visual_tokens = self.embed_visual(imgs) if 'visual' in needed else None
        # the reference's draw order: the audio sort keys, then the visual
        if audio_tokens is not None and mask_ratio_a > 0:
            out.audio_masking = self.mask_audio(audio_tokens, mask_ratio_a,
                                                audio_mask_mode, noise_a)
            audio_tokens = out.audio_masking.kept
        if visual_tokens is not None and mask_ratio_v > 0:
            out.visual_masking = random_masking(
                visual_tokens, mask_ratio_v,
                _sort_keys(visual_tokens, noise_v))
            visual_tokens = out.visual_masking.kept
        if audio_tokens is not None:
            specific['audio'] = self.encode_modality(audio_tokens, 'audio',
                                                     extra_tokens)
            if audio_repeats > 1:
                specific['audio'] = specific['audio'].repeat_interleave(
                    audio_repeats, dim=0)
        if visual_tokens is not None:
            specific['visual'] = self.encode_modality(visual_tokens, 'visual',
                                                      extra_tokens)
        out.paths = self.route(specific, paths, extra_tokens)
        out.leading_global = self.has_global_tokens(extra_tokens)
        return out

    def has_global_tokens(self, extra_tokens: bool = True) -> bool:
        """Whether the modality tokens start with a global token (never
        here; see :class:`CAVMAESyncEncoder`)."""
        return False

    @staticmethod
    def _check_inputs(audios: Optional[Tensor], imgs: Optional[Tensor],
                      paths: Sequence[str], audio_mask_mode: str) -> set:
        """The modalities ``paths`` read; raises when one is not given or
        the audio masking mode is unknown."""
        needed = inputs_of(paths)
        if audio_mask_mode not in AUDIO_MASK_MODES:
            raise ValueError(f'audio_mask_mode must be one of '
                             f'{AUDIO_MASK_MODES}, got {audio_mask_mode!r}')
        if 'audio' in needed and audios is None:
            raise ValueError(f'paths {list(paths)} need audio input')
        if 'visual' in needed and imgs is None:
            raise ValueError(f'paths {list(paths)} need image input')
        return needed

    def mask_audio(self, tokens: Tensor, ratio: float, mode: str,
                   noise: Optional[Tensor]) -> MaskedTokens:
        """Masks audio tokens: unstructured, or the structured ``mode``
        forcing whole time rows / frequency columns on top of the sort
        keys (``noise``, drawn as ``torch.rand(B, La)`` when None)."""
        noise = _sort_keys(tokens, noise)
        if mode != 'unstructured':
            noise = structured_audio_noise(noise, ratio,
                                           self.geometry.audio_grid, mode)
        return random_masking(tokens, ratio, noise)

    def route(self,
              specific: Dict[str, Tensor],
              paths: Sequence[str],
              extra_tokens: bool = True) -> Dict[str, Tensor]:
        """Each path's shared-block features, from the modality-specific
        tokens it reads (concatenated audio first for the joint path).
        ``extra_tokens``: see :meth:`forward`."""
        return {
            path: self.forward_shared(self.path_input(specific, path), path)
            for path in paths
        }

    def path_input(self, specific: Dict[str, Tensor], path: str) -> Tensor:
        """The tokens a path's shared blocks read: its modalities'
        modality-specific tokens, concatenated audio first."""
        inputs = [specific[m] for m in PATHS[path].inputs]
        return inputs[0] if len(inputs) == 1 else torch.cat(inputs, 1)
