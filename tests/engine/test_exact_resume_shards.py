"""The exact resume with the data read from shards: a run of the tiny
pretraining config on the synthetic set packed into shards (3 shards,
``ShardAwareSampler``), killed with SIGKILL in the middle of an iteration
and resumed with ``tools/train.py --resume`` (2 persistent loader
workers), ends with the uninterrupted run's weights and optimizer state to
the bit."""
import pytest

from tests.datasets.shards_helpers import pack
from tests.engine.test_exact_resume import (assert_bit_identical, one_thread,
                                            train, train_tool, write_config)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def shard_config(tiny_config, synthetic, tmp_path_factory):
    folder = tmp_path_factory.mktemp('shards')
    assert pack(
        synthetic / 'datalist.json',
        folder / 'set',
        '--samples-per-shard',
        2,
        data_root=synthetic) == 0
    path = folder / 'tiny_shards.py'
    path.write_text(f"""_base_ = [{str(tiny_config)!r}]
train_dataloader = dict(
    sampler=dict(type='ShardAwareSampler', window=2),
    dataset=dict(type='ShardedAudioVisualDataset',
                 ann_file={str(folder / 'set' / 'manifest.json')!r}))
""")
    return path


def test_killed_mid_iteration_resumes_bit_identical_from_shards(
        shard_config, tmp_path):
    reference = tmp_path / 'reference'
    config = write_config(shard_config, tmp_path / 'plain.py', workers=0)
    with one_thread():
        train_tool.main([config, '--work-dir', str(reference)])

    work = tmp_path / 'work'
    code, out = train(
        write_config(
            shard_config, tmp_path / 'kill.py', crash=dict(at_iter=4)), work)
    assert code == -9, out[-3000:]
    assert (work / 'last_checkpoint').read_text().endswith('iter_4.pth')
    code, out = train(
        write_config(shard_config, tmp_path / 'resume.py'), work, '--resume')
    assert code == 0, out[-3000:]
    assert 'after 1 of its 3 iterations' in out
    assert_bit_identical(reference / 'epoch_3.pth', work / 'epoch_3.pth')
