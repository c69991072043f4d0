"""Reconstruction, contrastive and classification heads."""
import math

import pytest
import torch
import torch.nn.functional as F

from cavmae_mm.models.heads import (CAVMAEClsHead, CAVMAEContrastiveHead,
                                    CAVMAEReconstructionHead)


def hand_contrastive(a, v, temperature, direction):
    """Loops over the batch: each column (video) picks its row (audio) for
    'v2a'; each row picks its column for 'a2v'."""

    def unit(rows):
        return [[t / math.sqrt(sum(u * u for u in x)) for t in x]
                for x in rows]

    a, v = unit(a.mean(1).tolist()), unit(v.mean(1).tolist())
    n = len(a)
    sim = [[
        sum(p * q for p, q in zip(a[i], v[j], strict=True)) / temperature
        for j in range(n)
    ] for i in range(n)]
    loss, correct = 0.0, 0
    for k in range(n):
        if direction == 'v2a':
            scores = [sim[i][k] for i in range(n)]
        else:
            scores = [sim[k][j] for j in range(n)]
        log_z = math.log(sum(math.exp(s) for s in scores))
        loss += -(scores[k] - log_z)
        correct += int(max(range(n), key=lambda i: scores[i]) == k)
    return loss / n, correct / n


@pytest.mark.parametrize('bidirectional', [False, True])
def test_contrastive_loss_by_hand(bidirectional):
    torch.manual_seed(0)
    a, v = torch.randn(4, 3, 8), torch.randn(4, 5, 8)
    head = CAVMAEContrastiveHead(
        temperature=0.05, bidirectional=bidirectional, loss_weight=0.01)
    out = head.loss(a.double(), v.double())
    loss, acc = hand_contrastive(a.double(), v.double(), 0.05, 'v2a')
    if bidirectional:
        loss_t, acc_t = hand_contrastive(a.double(), v.double(), 0.05, 'a2v')
        loss, acc = (loss + loss_t) / 2, (acc + acc_t) / 2
    assert out['loss_c'].item() == pytest.approx(0.01 * loss, rel=1e-9)
    assert out['acc_c'].item() == pytest.approx(acc)


def test_contrastive_accuracy_is_one_for_matched_pairs():
    feats = torch.eye(4)[:, None, :].repeat(1, 2, 1)
    out = CAVMAEContrastiveHead().loss(feats, feats)
    assert out['acc_c'].item() == 1.0


def test_clip_contrastive_loss_by_hand():
    """Clips (CAV-MAE Sync's evaluation mode): each audio row picks among
    all visual rows; the pairs of its own video are the positives, the
    other entries count as zero logits in the positive term."""
    torch.manual_seed(0)
    frames, videos = 3, 2
    a = torch.randn(videos * frames, 2, 8).double()
    v = torch.randn(videos * frames, 4, 8).double()
    out = CAVMAEContrastiveHead(loss_weight=1.).loss(
        a, v, frames_per_video=frames)
    pa, pv = F.normalize(a.mean(1), dim=-1), F.normalize(v.mean(1), dim=-1)
    loss, correct = 0., 0
    for i in range(videos * frames):
        row = [float(pa[i] @ pv[j]) / 0.05 for j in range(videos * frames)]
        own = [j // frames == i // frames for j in range(videos * frames)]
        positive = [s if mine else 0. for s, mine in zip(row, own)]
        loss += math.log(sum(math.exp(s) for s in row)) - \
            math.log(sum(math.exp(s) for s in positive))
        correct += own[max(range(len(row)), key=row.__getitem__)]
    assert out['loss_c'].item() == pytest.approx(loss / len(a), rel=1e-9)
    assert out['acc_c'].item() == pytest.approx(correct / len(a))


def test_clip_contrastive_needs_whole_videos():
    feats = torch.randn(5, 2, 8)
    with pytest.raises(ValueError, match='not whole videos of 2 frames'):
        CAVMAEContrastiveHead().loss(feats, feats, frames_per_video=2)


def test_mae_loss_counts_only_masked_patches():
    torch.manual_seed(0)
    head = CAVMAEReconstructionHead(norm_pix=False, loss_weight=1.0)
    audios, imgs = torch.randn(2, 64, 32), torch.randn(2, 3, 32, 32)
    pred_a, pred_v = torch.randn(2, 8, 256), torch.randn(2, 4, 768)
    mask_a = torch.tensor([[1., 0, 1, 0, 1, 0, 1, 0]] * 2)
    mask_v = torch.tensor([[0., 1, 1, 0]] * 2)
    base = head.loss(pred_a, pred_v, audios, imgs, mask_a, mask_v)
    visible_changed = head.loss(pred_a + (1 - mask_a)[..., None] * 5,
                                pred_v + (1 - mask_v)[..., None] * 5, audios,
                                imgs, mask_a, mask_v)
    for key in base:
        assert torch.equal(base[key], visible_changed[key])
    masked_changed = head.loss(pred_a + mask_a[..., None], pred_v, audios,
                               imgs, mask_a, mask_v)
    assert not torch.equal(base['loss_mae_a'], masked_changed['loss_mae_a'])
    # by hand: mean squared error over the masked audio patches only
    target = audios.unsqueeze(1).transpose(2, 3)  # [B, 1, F, T]
    patches = target.reshape(2, 1, 2, 16, 4, 16).permute(0, 2, 4, 3, 5, 1)
    patches = patches.reshape(2, 8, 256)
    per_patch = ((pred_a - patches)**2).mean(-1)
    expected = per_patch[mask_a.bool()].mean()
    assert torch.allclose(base['loss_mae_a'], expected)


def test_norm_pix_normalises_each_target_patch():
    head = CAVMAEReconstructionHead(norm_pix=True)
    targets = head.construct_targets(
        torch.randn(1, 64, 32) * 7 + 3, torch.randn(1, 3, 32, 32))
    patch = targets['audio'][0, 0]
    assert patch.mean().abs() < 1e-5
    assert patch.var().item() == pytest.approx(1.0, rel=1e-4)


def test_loss_weight_scales():
    args = (torch.randn(1, 8, 256), torch.randn(1, 4,
                                                768), torch.randn(1, 64, 32),
            torch.randn(1, 3, 32, 32), torch.ones(1, 8), torch.ones(1, 4))
    one = CAVMAEReconstructionHead(loss_weight=1.0).loss(*args)
    three = CAVMAEReconstructionHead(loss_weight=3.0).loss(*args)
    assert torch.allclose(three['loss_mae_v'], 3 * one['loss_mae_v'])


def test_cls_head_averages_frames():
    head = CAVMAEClsHead(num_classes=3, in_channels=4, average_clips='sigmoid')
    scores = torch.randn(6, 3)
    out = head.average_clip(scores, num_segs=3)
    assert torch.allclose(out, scores.view(2, 3, 3).sigmoid().mean(1))
    head.average_clips = 'prob'
    assert torch.allclose(
        head.average_clip(scores, 3),
        F.softmax(scores.view(2, 3, 3), -1).mean(1))
    head.average_clips = None
    with pytest.raises(ValueError, match='cannot combine'):
        head.average_clip(scores, 3)
    with pytest.raises(ValueError, match='average_clips'):
        CAVMAEClsHead(num_classes=3, in_channels=4, average_clips='max')
