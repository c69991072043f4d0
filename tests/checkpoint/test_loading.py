"""Checkpoints that load themselves: this package's, official (with or
without 'module.'), URLs (cached), and clear errors for the wrong ones."""
import functools
import http.server
import threading

import pytest
import torch

from cavmae_mm.checkpoint import (CheckpointError, CheckpointMismatch,
                                  load_pretrained, load_weights,
                                  mm_to_official, read_checkpoint)
from tests.helpers import (logged_lines, randomize_, tiny_pretrain_cfg,
                           tiny_recognizer_cfg)


def recognizer(build, seed=None, **kwargs):
    model = build(tiny_recognizer_cfg(**kwargs))
    return randomize_(model, seed) if seed is not None else model


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(
        torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize('layout',
                         ['runner', 'bare', 'official', 'official_no_prefix'])
def test_every_layout_loads_the_same_tensors(build, tmp_path, layout):
    source = recognizer(build, seed=1)
    state = source.state_dict()
    saved = {
        'runner': {
            'state_dict': state,
            'meta': {}
        },
        'bare': state,
        'official': mm_to_official(state),
        'official_no_prefix': mm_to_official(state, module_prefix=False)
    }
    path = tmp_path / f'{layout}.pth'
    torch.save(saved[layout], path)
    target = recognizer(build, seed=2)
    loaded = load_weights(target, str(path))
    assert same_weights(source, target)
    assert loaded.official_kind == ('finetune'
                                    if 'official' in layout else None)


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        CountingHandler.hits.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


def test_url_is_downloaded_once_into_the_cache(build, tmp_path, monkeypatch):
    served = tmp_path / 'served'
    served.mkdir()
    source = recognizer(build, seed=4)
    torch.save(mm_to_official(source.state_dict()), served / 'ft.pth')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(CountingHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f'http://127.0.0.1:{server.server_port}/ft.pth?dl=1'
        for _ in range(2):
            target = recognizer(build, seed=5)
            load_weights(target, url)
            assert same_weights(source, target)
        missing = f'http://127.0.0.1:{server.server_port}/none.pth'
        with pytest.raises(
                CheckpointError, match='none.pth: download '
                'failed'):
            read_checkpoint(missing)
    finally:
        server.shutdown()
        thread.join()
    assert CountingHandler.hits.count('/ft.pth?dl=1') == 1
    assert (tmp_path / 'torch_home' / 'hub' / 'checkpoints' /
            'ft.pth').is_file()


class NotATensor:
    pass


def test_files_that_are_not_checkpoints(tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('hello')
    with pytest.raises(CheckpointError, match='notes.pth: not a readable'):
        read_checkpoint(str(text))
    unsafe = tmp_path / 'unsafe.pth'
    torch.save({'state_dict': NotATensor()}, unsafe)
    with pytest.raises(CheckpointError, match='unsafe.pth: not a readable'):
        read_checkpoint(str(unsafe))  # weights_only refuses the class
    foreign = tmp_path / 'foreign.pth'
    torch.save({'conv.weight': torch.zeros(1)}, foreign)
    with pytest.raises(CheckpointError, match='foreign.pth: not a CAV-MAE'):
        read_checkpoint(str(foreign))
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        read_checkpoint(str(tmp_path / 'absent.pth'))


def test_wrong_class_count_names_both(build, tmp_path):
    path = tmp_path / 'six.pth'
    torch.save(recognizer(build, seed=1, num_classes=6).state_dict(), path)
    with pytest.raises(CheckpointMismatch) as info:
        load_weights(recognizer(build, num_classes=4), str(path))
    assert 'cls_head.fc.weight [6, 32] vs model [4, 32]' in str(info.value)
    assert 'classifies 6 classes, the config 4' in str(info.value)


def test_recognizer_weights_are_no_pretraining_model(build, tmp_path):
    path = tmp_path / 'ft.pth'
    torch.save(recognizer(build, seed=1).state_dict(), path)
    with pytest.raises(CheckpointMismatch, match='finetuned classifier'):
        load_weights(build(tiny_pretrain_cfg()), str(path))


def test_pretrained_start_summarises_and_keeps_the_encoder(build, tmp_path):
    pretrained = randomize_(build(tiny_pretrain_cfg()), seed=7)
    path = tmp_path / 'official_pretrain.pth'
    torch.save(mm_to_official(pretrained.state_dict()), path)
    target = recognizer(build)
    with logged_lines() as lines:
        load_pretrained(target, str(path))
    encoder = {
        k: v
        for k, v in pretrained.state_dict().items()
        if k.startswith('backbone.')
    }
    mine = target.state_dict()
    assert all(torch.equal(mine[k], v) for k, v in encoder.items())
    text = '\n'.join(lines)
    neck = sum(k.startswith('neck.') for k in pretrained.state_dict())
    assert f'decoder (neck): {neck} tensors of the checkpoint not used' \
        in text
    assert 'classification head (cls_head): 4 tensors initialised anew' \
        in text
    assert 'neck.blocks.0' not in text  # a summary, not a wall of names
