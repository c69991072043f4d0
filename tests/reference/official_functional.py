"""An independent, functional re-statement of the official CAV-MAE maths.

Written for the parity tests from the description of the official
behaviour: it works directly on a state dict with the
official key names, uses explicit (math-path) attention, and follows the
reference's order of random draws. It shares no code with cavmae_mm.
"""
import math
import random

import numpy as np
import torch
import torch.nn.functional as F


# ----------------------------------------------------------- position tables
def ref_sincos_table(dim, rows, cols):
    """numpy re-statement of the official 2-D table (float64 -> float32)."""
    gx, gy = np.meshgrid(
        np.arange(cols, dtype=np.float32), np.arange(rows, dtype=np.float32))
    quarter = dim // 4
    omega = 1.0 / 10000**(np.arange(quarter, dtype=np.float64) / quarter)

    def code(pos):
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    return np.concatenate([code(gx), code(gy)], axis=1).astype(np.float32)


# ------------------------------------------------------------------- blocks
def _ln(sd, name, x):
    return F.layer_norm(
        x, x.shape[-1:], sd[name + '.weight'], sd[name + '.bias'], eps=1e-5)


def _attn(sd, name, x, heads):
    b, n, c = x.shape
    qkv = x @ sd[name + '.qkv.weight'].t() + sd[name + '.qkv.bias']
    qkv = qkv.reshape(b, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    att = (q @ k.transpose(-2, -1)) * (c // heads)**-0.5
    att = att.softmax(dim=-1)
    out = (att @ v).transpose(1, 2).reshape(b, n, c)
    return out @ sd[name + '.proj.weight'].t() + sd[name + '.proj.bias']


def _mlp(sd, name, x):
    h = x @ sd[name + '.fc1.weight'].t() + sd[name + '.fc1.bias']
    h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
    return h @ sd[name + '.fc2.weight'].t() + sd[name + '.fc2.bias']


def ref_block(sd, name, x, heads, modality=None):
    suffix = {None: '', 'a': '_a', 'v': '_v'}[modality]
    x = x + _attn(sd, name + '.attn', _ln(sd, f'{name}.norm1{suffix}', x),
                  heads)
    x = x + _mlp(sd, name + '.mlp', _ln(sd, f'{name}.norm2{suffix}', x))
    return x


def _count(sd, prefix):
    return len(
        {k[len(prefix):].split('.')[0]
         for k in sd if k.startswith(prefix)})


def _run(sd, prefix, x, heads, modality=None):
    for i in range(_count(sd, prefix + '.')):
        x = ref_block(sd, f'{prefix}.{i}', x, heads, modality)
    return x


# -------------------------------------------------------------------- embed
def ref_embed_audio(sd, fbank):
    w = sd['patch_embed_a.proj.weight']
    x = fbank.unsqueeze(1).transpose(2, 3)
    x = F.conv2d(x, w, sd['patch_embed_a.proj.bias'], stride=w.shape[-1])
    x = x.flatten(2).transpose(1, 2)
    return x + sd['pos_embed_a'] + sd['modality_a']


def ref_embed_visual(sd, imgs):
    w = sd['patch_embed_v.proj.weight']
    x = F.conv2d(imgs, w, sd['patch_embed_v.proj.bias'], stride=w.shape[-1])
    x = x.flatten(2).transpose(1, 2)
    return x + sd['pos_embed_v'] + sd['modality_v']


# ------------------------------------------------------------------ masking
def ref_mask(x, ratio, structured=None, grid=None):
    n, length, d = x.shape
    keep = int(length * (1 - ratio))
    noise = torch.rand(n, length)
    if structured is not None:
        f, t = grid
        noise = noise.reshape(n, f, t)
        if structured in ('time', 'tf'):
            share = ratio if structured == 'time' else ratio * 0.7
            for i in range(n):
                for col in random.sample(range(t), int(t * share)):
                    noise[i, :, col] = 1.1
        if structured in ('freq', 'tf'):
            share = ratio if structured == 'freq' else ratio * 0.7
            for i in range(n):
                for row in random.sample(range(f), int(f * share)):
                    noise[i, row, :] = 1.1
        noise = noise.reshape(n, length)
    shuffle = torch.argsort(noise, dim=1)
    restore = torch.argsort(shuffle, dim=1)
    kept = torch.gather(x, 1, shuffle[:, :keep, None].repeat(1, 1, d))
    mask = torch.ones(n, length)
    mask[:, :keep] = 0
    mask = torch.gather(mask, 1, restore)
    return kept, mask, restore


# ---------------------------------------------------------------- the models
def ref_finetune_logits(sd, fbank, imgs, mode, heads):
    """Logits of the official finetuned model for one of its five modes."""

    def head(x):
        x = _ln(sd, 'mlp_head.0', x)
        return x @ sd['mlp_head.1.weight'].t() + sd['mlp_head.1.bias']

    if mode == 'multimodal':
        a = _run(sd, 'blocks_a', ref_embed_audio(sd, fbank), heads)
        v = _run(sd, 'blocks_v', ref_embed_visual(sd, imgs), heads)
        x = _run(sd, 'blocks_u', torch.cat([a, v], 1), heads)
        return head(_ln(sd, 'norm', x).mean(1))
    if mode in ('audioonly', 'missingaudioonly'):
        x = _run(sd, 'blocks_a', ref_embed_audio(sd, fbank), heads)
        tag, final = 'a', 'norm_a'
    else:
        x = _run(sd, 'blocks_v', ref_embed_visual(sd, imgs), heads)
        tag, final = 'v', 'norm_v'
    own = _ln(sd, final, _run(sd, 'blocks_u', x, heads, tag)).mean(1)
    if mode in ('audioonly', 'videoonly'):
        return head(own)
    joint = _ln(sd, 'norm', _run(sd, 'blocks_u', x, heads)).mean(1)
    return head((joint + own) / 2)


def ref_features(sd, fbank, imgs, heads):
    """Official forward_feat: modality-path tokens after norm_a / norm_v."""
    a = _run(sd, 'blocks_a', ref_embed_audio(sd, fbank), heads)
    v = _run(sd, 'blocks_v', ref_embed_visual(sd, imgs), heads)
    a = _ln(sd, 'norm_a', _run(sd, 'blocks_u', a, heads, 'a'))
    v = _ln(sd, 'norm_v', _run(sd, 'blocks_u', v, heads, 'v'))
    return a, v


def _patchify(img, p):
    n, c, h, w = img.shape
    x = img.reshape(n, c, h // p, p, w // p, p)
    x = torch.einsum('nchpwq->nhwpqc', x)
    return x.reshape(n, (h // p) * (w // p), p * p * c)


def _mae_loss(target, pred, mask, norm_pix):
    if norm_pix:
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1.e-6)**.5
    loss = ((pred - target)**2).mean(dim=-1)
    return (loss * mask).sum() / mask.sum()


def ref_pretrain_losses(sd,
                        fbank,
                        imgs,
                        heads,
                        dec_heads,
                        ratio_a=0.75,
                        ratio_v=0.75,
                        mask_mode='unstructured',
                        norm_pix=True,
                        mae_weight=1.0,
                        c_weight=0.01,
                        bidirectional=False,
                        temperature=0.05):
    """The official pretraining forward; returns its tuple as a dict."""
    p = sd['patch_embed_a.proj.weight'].shape[-1]
    a = ref_embed_audio(sd, fbank)
    v = ref_embed_visual(sd, imgs)
    grid = (fbank.shape[2] // p, fbank.shape[1] // p)
    a, mask_a, restore_a = ref_mask(
        a, ratio_a, None if mask_mode == 'unstructured' else mask_mode, grid)
    v, mask_v, restore_v = ref_mask(v, ratio_v)
    a = _run(sd, 'blocks_a', a, heads)
    v = _run(sd, 'blocks_v', v, heads)
    x = _ln(sd, 'norm', _run(sd, 'blocks_u', torch.cat([a, v], 1), heads))
    ca = _ln(sd, 'norm_a', _run(sd, 'blocks_u', a, heads, 'a'))
    cv = _ln(sd, 'norm_v', _run(sd, 'blocks_u', v, heads, 'v'))

    # decoder
    la = sd['pos_embed_a'].shape[1]
    x = x @ sd['decoder_embed.weight'].t() + sd['decoder_embed.bias']
    n, _, dd = x.shape
    ka = la - int(mask_a[0].sum())
    tok = sd['mask_token']
    a_ = torch.cat([x[:, :ka], tok.repeat(n, la - ka, 1)], 1)
    a_ = torch.gather(a_, 1, restore_a[..., None].repeat(1, 1, dd))
    lv = restore_v.shape[1]
    kv = x.shape[1] - ka
    v_ = torch.cat([x[:, ka:], tok.repeat(n, lv - kv, 1)], 1)
    v_ = torch.gather(v_, 1, restore_v[..., None].repeat(1, 1, dd))
    y = torch.cat([a_, v_], 1) + torch.cat(
        [sd['decoder_pos_embed_a'], sd['decoder_pos_embed_v']], 1)
    y = torch.cat([
        y[:, :la] + sd['decoder_modality_a'],
        y[:, la:] + sd['decoder_modality_v']
    ], 1)
    y = _ln(sd, 'decoder_norm', _run(sd, 'decoder_blocks', y, dec_heads))
    pred_a = y[:, :la] @ sd['decoder_pred_a.weight'].t() + \
        sd['decoder_pred_a.bias']
    pred_v = y[:, la:] @ sd['decoder_pred_v.weight'].t() + \
        sd['decoder_pred_v.bias']

    loss_a = _mae_loss(
        _patchify(fbank.unsqueeze(1).transpose(2, 3), p), pred_a, mask_a,
        norm_pix)
    loss_v = _mae_loss(_patchify(imgs, p), pred_v, mask_v, norm_pix)

    ra = F.normalize(ca.mean(1), dim=-1)
    rv = F.normalize(cv.mean(1), dim=-1)
    sim = ra @ rv.t() / temperature
    idx = torch.arange(sim.shape[0])

    def direction(s):
        nce = -torch.mean(torch.diag(F.log_softmax(s, dim=0)))
        acc = (torch.argmax(F.softmax(s, dim=0), dim=0) == idx).sum() / \
            s.shape[0]
        return nce, acc

    nce, acc = direction(sim)
    if bidirectional:
        nce2, acc2 = direction(sim.t())
        nce, acc = (nce + nce2) / 2, (acc + acc2) / 2
    loss_mae = mae_weight * (loss_a + loss_v)
    loss_c = c_weight * nce
    return dict(
        loss=loss_mae + loss_c,
        loss_mae=loss_mae,
        loss_mae_a=loss_a,
        loss_mae_v=loss_v,
        loss_c=loss_c,
        acc_c=acc,
        mask_a=mask_a,
        mask_v=mask_v,
        pred_a=pred_a,
        pred_v=pred_v)
