"""Global negatives for the contrastive loss: two gloo processes with
gather_negatives=True compute the loss (and gradients) of one process that
holds the whole batch."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from cavmae_mm.models.heads.contrastive_head import CAVMAEContrastiveHead

WORLD, LOCAL, TOKENS, DIM = 2, 3, 4, 8


def features(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(WORLD * LOCAL, TOKENS, DIM, generator=gen),
            torch.randn(WORLD * LOCAL, TOKENS, DIM, generator=gen))


def loss_and_grads(head, audio, visual):
    audio = audio.clone().requires_grad_()
    visual = visual.clone().requires_grad_()
    out = head.loss(audio, visual)
    out['loss_c'].backward()
    return out, audio.grad, visual.grad


def worker(rank, init_file, bidirectional, results):
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=WORLD)
    try:
        audio, visual = features()
        mine = slice(rank * LOCAL, (rank + 1) * LOCAL)
        head = CAVMAEContrastiveHead(
            bidirectional=bidirectional,
            loss_weight=1.0,
            gather_negatives=True)
        out, grad_a, grad_v = loss_and_grads(head, audio[mine], visual[mine])
        results[rank] = (out['loss_c'].item(), out['acc_c'].item(), grad_a,
                         grad_v)
    finally:
        dist.destroy_process_group()


def run_two_ranks(tmp_path, bidirectional):
    manager = mp.Manager()
    results = manager.dict()
    mp.spawn(
        worker,
        args=(str(tmp_path / 'init'), bidirectional, results),
        nprocs=WORLD,
        join=True)
    return [results[r] for r in range(WORLD)]


def test_global_negatives_equal_one_process_with_the_whole_batch(tmp_path):
    for bidirectional in (False, True):
        folder = tmp_path / str(bidirectional)
        folder.mkdir()
        ranks = run_two_ranks(folder, bidirectional)
        head = CAVMAEContrastiveHead(
            bidirectional=bidirectional, loss_weight=1.0)
        whole, grad_a, grad_v = loss_and_grads(head, *features())
        # DDP averages over ranks: mean of the rank losses / gradients
        loss = sum(r[0] for r in ranks) / WORLD
        acc = sum(r[1] for r in ranks) / WORLD
        assert abs(loss - whole['loss_c'].item()) < 1e-5
        assert abs(acc - whole['acc_c'].item()) < 1e-6
        for rank, (_, _, rank_grad_a, rank_grad_v) in enumerate(ranks):
            mine = slice(rank * LOCAL, (rank + 1) * LOCAL)
            torch.testing.assert_close(rank_grad_a / WORLD, grad_a[mine])
            torch.testing.assert_close(rank_grad_v / WORLD, grad_v[mine])


def test_without_a_process_group_it_is_the_plain_loss():
    audio, visual = features()
    plain = CAVMAEContrastiveHead(bidirectional=True).loss(audio, visual)
    gathered = CAVMAEContrastiveHead(
        bidirectional=True, gather_negatives=True).loss(audio, visual)
    assert torch.equal(plain['loss_c'], gathered['loss_c'])
