"""A run killed (SIGKILL) in the middle of an iteration or of a checkpoint
save and resumed with ``tools/train.py --resume`` ends bit-identical to an
uninterrupted run: same weights and optimizer state to the bit, with data
loader workers, in one process and in two (gloo). A truncated checkpoint
is refused with the file and the reason, or skipped with
``--resume-fallback``.

The tiny pretraining config's data pipeline draws at random (the frame,
with Python's ``random``; the fbank noise level and roll, with numpy and
torch) and the model draws its masks from torch's generator, so any
random state left unrestored changes the weights.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import ROOT
from tests.tool_loader import load_tool

train_tool = load_tool('tools/train.py')

pytestmark = pytest.mark.slow


def write_config(tiny_config,
                 path: Path,
                 workers: int = 2,
                 iter_interval: int = 2,
                 crash: dict = None) -> str:
    """The tiny config for 3 epochs, with ``workers`` loader workers
    (persistent), iteration checkpoints (only the last kept) and an
    optional ``CrashHook``."""
    hooks = [
        dict(
            type='CheckpointHook',
            by_epoch=False,
            interval=iter_interval,
            max_keep_ckpts=1)
    ]
    if crash:
        hooks.append(dict(type='CrashHook', **crash))
    loader = dict(num_workers=workers)
    if workers:
        loader['persistent_workers'] = True
    path.write_text(f"""_base_ = [{str(tiny_config)!r}]
custom_imports = dict(imports=['cavmae_mm', 'tests.engine.crash_points'],
                      allow_failed_imports=False)
train_dataloader = {loader!r}
train_cfg = dict(max_epochs=3)
custom_hooks = {hooks!r}
""")
    return str(path)


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def train(config: str, work: Path, *options, procs: int = 1) -> tuple:
    """``tools/train.py`` (one process) or ``tools/dist_train.sh`` (gloo) in
    a new process; its return code and output. The output goes to a file:
    the loader workers of a killed run keep a pipe open for seconds."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        PYTHON=sys.executable,
        PORT=free_port(),
        OMP_NUM_THREADS='1')
    if procs == 1:
        command = [
            sys.executable,
            str(ROOT / 'tools' / 'train.py'), config, '--work-dir',
            str(work), *options
        ]
    else:
        command = [
            'bash',
            str(ROOT / 'tools' / 'dist_train.sh'), config,
            str(procs), '--work-dir',
            str(work), *options
        ]
    work.mkdir(parents=True, exist_ok=True)
    runs = len(list(work.parent.glob('*.out')))
    output = work.parent / f'{work.name}.{runs}.out'
    with open(output, 'w') as file:
        code = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=file,
            stderr=subprocess.STDOUT,
            timeout=300).returncode
    return code, output.read_text()


def differences(reference: Path, resumed: Path) -> list:
    """Names of the tensors (weights, optimizer state) that differ, with
    the largest absolute difference."""
    first = torch.load(reference, map_location='cpu', weights_only=True)
    second = torch.load(resumed, map_location='cpu', weights_only=True)
    assert first['meta']['iter'] == second['meta']['iter']
    pairs = [(f'state_dict.{name}', value, second['state_dict'][name])
             for name, value in first['state_dict'].items()]
    for index, state in first['optimizer']['state'].items():
        for name, value in state.items():
            if torch.is_tensor(value):
                pairs.append((f'optimizer.{index}.{name}', value,
                              second['optimizer']['state'][index][name]))
    assert len(pairs) > 20
    return [(name, float((a.double() - b.double()).abs().max()))
            for name, a, b in pairs if not torch.equal(a, b)]


def assert_bit_identical(reference: Path, resumed: Path) -> None:
    differ = differences(reference, resumed)
    assert not differ, (f'{len(differ)} tensors differ, max abs diff '
                        f'{max(d for _, d in differ)}: {differ[:3]}')


@contextlib.contextmanager
def one_thread():
    """Torch on one thread, as the runs started with OMP_NUM_THREADS=1."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def reference(tiny_config, tmp_path_factory):
    """The uninterrupted one-process run, in this process and without
    loader workers: the runs with workers must match it (each sample's
    random draws do not depend on the process that fetched it)."""
    folder = tmp_path_factory.mktemp('reference')
    config = write_config(tiny_config, folder / 'plain.py', workers=0)
    with one_thread():
        train_tool.main([config, '--work-dir', str(folder / 'work')])
    return folder / 'work'


def test_killed_mid_iteration_and_mid_save_resumes_bit_identical(
        tiny_config, reference, tmp_path):
    """One process, 2 persistent loader workers: 3 epochs of 3 iterations,
    iteration checkpoints every 2 (one kept). Killed in the forward of
    iteration 5 (epoch 2), resumed from iter_4; killed again while writing
    iter_6.pth, resumed from iter_4 again; the end is the uninterrupted
    run's, to the bit."""
    work = tmp_path / 'work'
    code, out = train(
        write_config(
            tiny_config, tmp_path / 'kill_iter.py', crash=dict(at_iter=4)),
        work)
    assert code == -9, out[-3000:]
    assert (work / 'last_checkpoint').read_text().endswith('iter_4.pth')

    code, out = train(
        write_config(
            tiny_config, tmp_path / 'kill_save.py', crash=dict(at_save=1)),
        work, '--resume')
    assert code == -9, out[-3000:]
    assert 'restored the random state of 1 rank (python, numpy, torch ' \
        'CPU) and the sampler position: epoch 2, after 1 of its 3 ' \
        'iterations, sampler seed 0' in out
    # the save was cut half-way: the previous checkpoint is still the
    # latest, complete; the partial file has a temporary name
    assert (work / 'last_checkpoint').read_text().endswith('iter_4.pth')
    assert (work / 'iter_4.pth').is_file()
    assert not (work / 'iter_6.pth').exists()
    (partial, ) = work.glob('.iter_6.pth.*.tmp')

    code, out = train(
        write_config(tiny_config, tmp_path / 'resume.py'), work, '--resume')
    assert code == 0, out[-3000:]
    assert 'after 1 of its 3 iterations' in out
    assert not partial.exists()  # removed at the next save
    assert sorted(p.name for p in work.glob('*.pth')) == [
        'epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth', 'iter_9.pth'
    ]
    assert_bit_identical(reference / 'epoch_3.pth', work / 'epoch_3.pth')


def test_two_processes_killed_mid_iteration_resume_bit_identical(
        tiny_config, tmp_path):
    """Two gloo processes (tools/dist_train.sh), 2 loader workers each: 3
    epochs of 2 iterations, a checkpoint after every iteration. Rank 0 is
    killed in the forward of iteration 4 (epoch 2; killing rank 1 there
    can stop rank 0 in the middle of writing iter_3.pth, which is then
    left as a temporary file); the resumed run
    restores both ranks' random states and ends as the uninterrupted one."""
    reference = tmp_path / 'reference'
    code, out = train(
        write_config(tiny_config, tmp_path / 'plain.py', iter_interval=1),
        reference,
        procs=2)
    assert code == 0, out[-3000:]

    work = tmp_path / 'work'
    code, out = train(
        write_config(
            tiny_config,
            tmp_path / 'kill.py',
            iter_interval=1,
            crash=dict(rank=0, at_iter=3)),
        work,
        procs=2)
    assert code != 0, out[-3000:]
    assert (work / 'last_checkpoint').read_text().endswith('iter_3.pth')

    code, out = train(
        write_config(tiny_config, tmp_path / 'resume.py', iter_interval=1),
        work,
        '--resume',
        procs=2)
    assert code == 0, out[-3000:]
    assert 'restored the random state of 2 ranks (python, numpy, torch ' \
        'CPU) and the sampler position: epoch 2, after 1 of its 2 ' \
        'iterations' in out
    assert_bit_identical(reference / 'epoch_3.pth', work / 'epoch_3.pth')


def test_truncated_checkpoint_is_refused_or_skipped_with_the_fallback(
        tiny_config, reference, tmp_path):
    """In this process, without loader workers: the last checkpoint cut to
    half its bytes (as a writer killed in the middle leaves it) stops the
    resume with the file, the reason and the flag; --resume-fallback
    resumes from the newest readable checkpoint, says so, and the run still
    ends as the uninterrupted one."""
    config = write_config(tiny_config, tmp_path / 'plain.py', workers=0)
    work = tmp_path / 'work'
    work.mkdir()
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        shutil.copy(reference / name, work / name)
    data = (work / 'epoch_2.pth').read_bytes()
    (work / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))

    from cavmae_mm.engine.runner import CheckpointReadError
    with pytest.raises(CheckpointReadError) as error, one_thread():
        train_tool.main([config, '--work-dir', str(work), '--resume'])
    message = str(error.value)
    assert message.startswith(f'{work / "epoch_2.pth"}: cannot resume')
    assert 'failed finding central directory' in message
    assert '--resume-fallback' in message

    with one_thread():
        train_tool.main(
            [config, '--work-dir',
             str(work), '--resume', '--resume-fallback'])
    lines = [
        line for log in work.glob('*/*.log')
        for line in log.read_text().splitlines()
    ]
    fallback = [line for line in lines if '--resume-fallback:' in line]
    assert len(fallback) == 1
    assert f'{work / "epoch_2.pth"} cannot be read (RuntimeError' in \
        fallback[0]
    assert f'resumed from {work / "epoch_1.pth"}' in fallback[0]
    assert sum('restored the random state' in line for line in lines) == 1
    assert_bit_identical(reference / 'epoch_3.pth', work / 'epoch_3.pth')

    # no last_checkpoint at all: the newest checkpoint, said so
    (work / 'last_checkpoint').unlink()
    for log in work.glob('*/*.log'):
        log.unlink()
    with one_thread():
        train_tool.main([config, '--work-dir', str(work), '--resume-fallback'])
    (log, ) = work.glob('*/*.log')
    assert f'{work} has no last_checkpoint; resumed from ' in log.read_text()
