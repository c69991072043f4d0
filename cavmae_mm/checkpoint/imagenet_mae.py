"""CAV-MAE's pretraining start made from an ImageNet (vision) MAE.

The reference initialises CAV-MAE from a vision MAE with decoder
(``tools/model_converters/adapt_imagenet_mae.py`` writes the result). Its
rules, one function each here, give official CAV-MAE pretraining names:

- :func:`split_blocks`: blocks ``0..k-1`` go to both ``blocks_a`` and
  ``blocks_v``, the rest to ``blocks_u``, whose audio and visual LayerNorms
  copy the joint ones;
- :func:`copy_decoder`: the decoder blocks, embedding, norm and mask token
  are copied;
- :func:`final_norms`: ``norm`` goes to ``norm``, ``norm_a`` and
  ``norm_v``;
- :func:`patch_embeddings`: the patch embedding goes to the visual one
  and, summed over RGB, to the audio one;
- :func:`position_tables`: the position tables without the cls token go
  to the visual tables;
- :func:`predictors`: ``decoder_pred`` goes to the visual predictor and its
  first p*p rows to the audio predictor.
"""
from typing import Dict

from torch import Tensor

from .errors import CheckpointMismatch

TensorDict = Dict[str, Tensor]
#: Prefixes of the MAE decoder's tensors copied as they are.
DECODER_PREFIXES = ('decoder_blocks.', 'decoder_embed.', 'decoder_norm.')


def encoder_depth(mae: TensorDict) -> int:
    """How many encoder blocks (``blocks.<i>.``) the MAE has.

    Raises:
        ValueError: It has none.
    """
    return 1 + max(
        int(k.split('.')[1]) for k in mae if k.startswith('blocks.'))


def shared_block_norms(shared: int, rest: str, value: Tensor) -> TensorDict:
    """The audio and visual copies of a shared block's joint LayerNorm
    tensor (none for a tensor of another layer)."""
    out = {}
    for norm in ('norm1', 'norm2'):
        if rest.startswith(norm + '.'):
            param = rest.split('.', 1)[1]
            for mod in ('a', 'v'):
                out[f'blocks_u.{shared}.{norm}_{mod}.{param}'] = value.clone()
    return out


def split_blocks(mae: TensorDict, modality_specific_depth: int) -> TensorDict:
    """The MAE's blocks as modality-specific (``blocks_a``, ``blocks_v``)
    and shared (``blocks_u``) ones."""
    out = {}
    for key, value in mae.items():
        if not key.startswith('blocks.'):
            continue
        _, idx, rest = key.split('.', 2)
        idx = int(idx)
        if idx < modality_specific_depth:
            out[f'blocks_a.{idx}.{rest}'] = value.clone()
            out[f'blocks_v.{idx}.{rest}'] = value.clone()
        else:
            shared = idx - modality_specific_depth
            out[f'blocks_u.{shared}.{rest}'] = value.clone()
            out.update(shared_block_norms(shared, rest, value))
    return out


def copy_decoder(mae: TensorDict) -> TensorDict:
    """The decoder's blocks, embedding, norm and mask token, as they are."""
    return {
        key: value.clone()
        for key, value in mae.items()
        if key.startswith(DECODER_PREFIXES) or key == 'mask_token'
    }


def final_norms(mae: TensorDict) -> TensorDict:
    """The encoder's final norm as the joint, audio and visual ones."""
    return {
        f'{name}.{param}': mae[f'norm.{param}'].clone()
        for param in ('weight', 'bias')
        for name in ('norm', 'norm_a', 'norm_v')
    }


def patch_embeddings(mae: TensorDict) -> TensorDict:
    """The visual patch embedding, and the audio one summed over RGB."""
    weight = mae['patch_embed.proj.weight']
    bias = mae['patch_embed.proj.bias']
    return {
        'patch_embed_v.proj.weight': weight.clone(),
        'patch_embed_v.proj.bias': bias.clone(),
        'patch_embed_a.proj.weight': weight.sum(dim=1, keepdim=True),
        'patch_embed_a.proj.bias': bias.clone()
    }


def position_tables(mae: TensorDict) -> TensorDict:
    """The visual position tables: the MAE's without the cls token."""
    return {
        'pos_embed_v': mae['pos_embed'][:, 1:].clone(),
        'decoder_pos_embed_v': mae['decoder_pos_embed'][:, 1:].clone()
    }


def predictors(mae: TensorDict) -> TensorDict:
    """``decoder_pred`` as the visual predictor, its first p*p rows (one
    channel of a p x p patch) as the audio predictor."""
    patch_w = mae['patch_embed.proj.weight']
    audio_rows = patch_w.shape[-1] * patch_w.shape[-2]
    weight, bias = mae['decoder_pred.weight'], mae['decoder_pred.bias']
    return {
        'decoder_pred_v.weight': weight.clone(),
        'decoder_pred_v.bias': bias.clone(),
        'decoder_pred_a.weight': weight[:audio_rows].clone(),
        'decoder_pred_a.bias': bias[:audio_rows].clone()
    }


def imagenet_mae_to_official(mae: TensorDict,
                             modality_specific_depth: int = 11) -> TensorDict:
    """The official CAV-MAE pretraining tensors made from a vision MAE, by
    the reference's rules (see the module's docstring).

    Args:
        mae (dict): The vision MAE's ``model`` tensors, with its decoder.
        modality_specific_depth (int): k. Defaults to 11.

    Raises:
        CheckpointMismatch: Not a vision MAE with decoder, or too few
            blocks for k.
    """
    try:
        depth = encoder_depth(mae)
        out = split_blocks(mae, modality_specific_depth)
        out.update(copy_decoder(mae))
        for step in (final_norms, patch_embeddings, position_tables,
                     predictors):
            out.update(step(mae))
    except (KeyError, ValueError) as err:
        raise CheckpointMismatch(
            f'not a vision-MAE checkpoint with decoder (missing {err})'
        ) from err
    if depth <= modality_specific_depth:
        raise CheckpointMismatch(f'{depth} blocks cannot give '
                                 f'{modality_specific_depth} specific ones')
    return out
