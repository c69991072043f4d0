"""Compatibility fix 2: resuming MMEngine runs under torch >= 2.6."""
import pickle
import subprocess
import sys

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner
from torch.utils.data import Dataset

from cavmae_mm.utils.compat_torch_load import history_buffer_method
from tests.helpers import TINY, tiny_pretrain_cfg


class RandomAVDataset(Dataset):
    """A few random audio-visual samples, packed as the pipeline packs."""

    def __init__(self, size=4):
        gen = torch.Generator().manual_seed(0)
        self.items = [
            dict(
                audios=torch.randn(
                    TINY['target_length'], TINY['num_mel_bins'],
                    generator=gen),
                imgs=torch.randint(
                    0,
                    256, (3, TINY['frame_size'], TINY['frame_size']),
                    generator=gen,
                    dtype=torch.uint8)) for _ in range(size)
        ]
        self.metainfo = dict(classes=None)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return dict(inputs=self.items[idx], data_samples=ActionDataSample())


def make_runner(work_dir, max_epochs, resume, name):
    return Runner(
        model=tiny_pretrain_cfg(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=RandomAVDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        default_scope='cavmae_mm',
        resume=resume,
        randomness=dict(seed=0))


def test_train_two_epochs_resume_and_reach_epoch_three(tmp_path):
    first = make_runner(tmp_path, 2, False, 'first')
    first.train()
    assert first.epoch == 2
    checkpoint = tmp_path / 'epoch_2.pth'
    assert checkpoint.is_file()

    second = make_runner(tmp_path, 3, True, 'second')
    second.train()
    assert second.epoch == 3
    assert (tmp_path / 'epoch_3.pth').is_file()
    # it resumed (two epochs were not trained again): the log history holds
    # the iterations of epoch 3 on top of the resumed ones
    assert second.iter == 6


def test_checkpoint_needs_the_allow_list(tmp_path):
    """A runner checkpoint fails to load with weights_only in a process
    without the fix, and loads in one with it."""
    make_runner(tmp_path, 1, False, 'needs').train()
    path = tmp_path / 'epoch_1.pth'
    load = f'import torch; torch.load({str(path)!r}, weights_only=True)'
    without = subprocess.run([sys.executable, '-c', load],
                             capture_output=True,
                             text=True,
                             timeout=300)
    assert without.returncode != 0
    assert 'HistoryBuffer' in without.stderr
    with_fix = subprocess.run(
        [sys.executable, '-c', 'import cavmae_mm; ' + load],
        capture_output=True,
        text=True,
        timeout=300)
    assert with_fix.returncode == 0, with_fix.stderr


def test_restricted_getattr_only_serves_history_buffer_methods():
    assert history_buffer_method(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for owner, name in [(HistoryBuffer, '__class__'), (HistoryBuffer, '_x'),
                        (torch, 'load'), (HistoryBuffer, 'max_length')]:
        with pytest.raises(pickle.UnpicklingError):
            history_buffer_method(owner, name)


def test_weights_only_still_refuses_arbitrary_globals(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': subprocess.Popen}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
