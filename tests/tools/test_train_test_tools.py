"""tools/train.py, tools/test.py and the torchrun scripts, on the CPU:
one process, and two gloo processes (DDP training, the distributed sampler,
retrieval features gathered across ranks)."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tool_loader import load_tool

test_tool = load_tool('tools/test.py')
train_tool = load_tool('tools/train.py')

ROOT = Path(__file__).resolve().parents[2]

# whole training and test runs, one and two processes
pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_train_then_test_in_one_process(tiny_config, tmp_path):
    work = tmp_path / 'work'
    train_tool.main([str(tiny_config), '--work-dir', str(work)])
    assert (work / 'epoch_2.pth').is_file()
    metrics = test_tool.main([
        str(tiny_config),
        str(work / 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'test')
    ])
    assert set(metrics) >= {'retrieval/a2v_R@1', 'retrieval/v2a_MedR'}


def run_script(script, *args, cwd):
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=free_port(),
        OMP_NUM_THREADS='1')
    return subprocess.run(
        ['bash', str(ROOT / 'tools' / script), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)


def test_two_process_gloo_training_and_gathered_retrieval(
        tiny_config, tmp_path):
    work = tmp_path / 'dist'
    result = run_script(
        'dist_train.sh', tiny_config, 2, '--work-dir', work, cwd=tmp_path)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]
    log = next(work.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    # 6 clips, 2 ranks x batch 2: 2 iterations per epoch (not 3, not 6)
    assert 'Epoch(train) [2][2/2]' in log
    checkpoint = work / 'epoch_2.pth'
    assert checkpoint.is_file()

    out_dist = tmp_path / 'dist_metrics.json'
    result = run_script(
        'dist_test.sh',
        tiny_config,
        checkpoint,
        2,
        '--work-dir',
        tmp_path / 'dist_test',
        '--metrics-out',
        out_dist,
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    single = test_tool.main([
        str(tiny_config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'single_test')
    ])
    gathered = json.loads(out_dist.read_text())
    assert gathered == pytest.approx(single)


def test_losses_and_lr_reach_tensorboard_and_the_local_log(
        tiny_config, tmp_path):
    """With TensorboardVisBackend configured, the visualizer writes the
    losses, contrastive accuracy and lr to TensorBoard as well as to
    scalars.json."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    config = tmp_path / 'tb.py'
    config.write_text(
        f'_base_ = [{str(tiny_config)!r}]\n'
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
        "dict(type='TensorboardVisBackend')])\n")
    work = tmp_path / 'work'
    train_tool.main([str(config), '--work-dir', str(work)])
    (events, ) = work.glob('*/vis_data/events.out.tfevents.*')
    accumulator = EventAccumulator(str(events.parent))
    accumulator.Reload()
    tags = set(accumulator.Tags()['scalars'])
    assert {'loss', 'loss_mae_a', 'loss_mae_v', 'loss_c', 'acc_c',
            'lr'} <= tags
    assert len(accumulator.Scalars('loss_c')) == 6  # 2 epochs x 3 iters
    local = next(work.glob('*/vis_data/scalars.json')).read_text()
    assert local.count('"loss_c"') == 6
