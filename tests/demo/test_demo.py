"""`make demo`'s chain (demo/demo.py) in its quick setting: every step runs
and the pretrained model has learned something a random one has not."""
import collections
import tarfile

import pytest

from cavmae_mm.datasets.shards.layout import frame_index
from tests.tool_loader import load_tool

demo = load_tool('demo/demo.py')
# end to end: every tool of the chain in its own process
pytestmark = pytest.mark.slow


def test_demo_chain_learns(tmp_path):
    """The chain with its pretraining read from shards (``--shards``: the
    datalists packed by tools/data/pack_shards.py; the file route of the
    same recipe is what every other training test runs)."""
    out = tmp_path / 'demo'
    report = demo.main(['--small', '--shards', '--out', str(out)])
    assert (out /
            report['outputs']['shards'].replace('{train,test}', 'train') /
            'manifest.json').is_file()

    retrieval, chance = report['retrieval'], report['chance']
    mean_r1 = (retrieval['retrieval/a2v_R@1'] +
               retrieval['retrieval/v2a_R@1']) / 2
    mean_r5 = (retrieval['retrieval/a2v_R@5'] +
               retrieval['retrieval/v2a_R@5']) / 2
    # An untrained model of this config scores about chance here
    # (R@1 0 / 6.25, R@5 25 / 31.25, median rank 9.5 of 16 clips).
    assert mean_r1 >= 2 * chance['retrieval_R1']
    assert mean_r5 >= 1.5 * chance['retrieval_R5']
    test_clips = round(100 / chance['retrieval_R1'])
    for direction in ('a2v', 'v2a'):
        assert retrieval[f'retrieval/{direction}_MedR'] < (test_clips + 1) / 2
    assert report['accuracy']['acc/top1'] >= 3 * chance['accuracy']

    assert_long_recording_tagged(out, report)

    figures = sorted((out / 'inpainting').glob('*.png'))
    assert len(figures) == 2
    assert (out / 'report.json').is_file()
    assert {p.name
            for p in (out / 'curves').glob('*.png')
            } == {'pretrain.png', 'finetune.png'}
    for name in ('pretrained', 'finetuned'):
        assert (out / report['outputs'][name]).is_file()

    # the demo ends by classifying one raw test video (tools/infer.py): the
    # finetuned model names its class (videos are named c{class}_{n}.mp4)
    inferred = report['inference']
    assert inferred['modality'] == 'audio_visual'
    assert len(inferred['predictions']) == 4  # top-5 of 4 classes
    true_class = int(inferred['input'].rsplit('/', 1)[1][1])
    assert inferred['predictions'][0]['index'] == true_class


def test_sync_demo_chain_learns(tmp_path):
    """``--sync --shards``: CAV-MAE Sync's chain (4 frames per clip, each
    with its audio segment; pretraining and retrieval frame by frame read
    from shards, every frame packed; a clip classifier) runs every tool and
    learns. Sync's file route is tests/tools/test_sync_workflow.py's."""
    out = tmp_path / 'sync_demo'
    report = demo.main([
        '--small', '--sync', '--shards', '--long-seconds', '80', '--out',
        str(out)
    ])
    test_shards = out / report['outputs']['shards'].replace(
        '{train,test}', 'test')
    assert frames_per_sample(test_shards) == {4}
    retrieval, chance = report['retrieval'], report['chance']
    mean_r1 = (retrieval['retrieval/a2v_R@1'] +
               retrieval['retrieval/v2a_R@1']) / 2
    assert mean_r1 >= 2 * chance['retrieval_R1']
    assert report['accuracy']['acc/top1'] >= 3 * chance['accuracy']
    assert report['inference']['modality'] == 'audio_visual'
    assert len(list((out / 'inpainting').glob('*.png'))) == 2
    assert_long_recording_tagged(out, report, seconds=80.0)


def frames_per_sample(shard_dir):
    """How many frames the samples of a folder's shards hold (a set)."""
    counts = collections.Counter()
    for shard in sorted(shard_dir.glob('*.tar')):
        with tarfile.open(shard) as tar:
            for name in tar.getnames():
                key, member = name.split('.', 1)
                counts[(shard.name, key)] += frame_index(member) is not None
    assert counts, f'no shards in {shard_dir}'
    return set(counts.values())


def assert_long_recording_tagged(out, report, seconds=240.0):
    """Step 10: the recording (4 minutes with --small) whose class changes
    every quarter of it: the windows' top labels follow the changes, and
    the JSON, timeline, labelled video and subtitles are written."""
    from cavmae_mm.utils.media_windows import plan_windows
    tagged = report['long_recording']
    assert tagged['seconds'] == pytest.approx(seconds, abs=1)
    # 5 s windows every 2.5 s
    assert tagged['windows'] == len(plan_windows(tagged['seconds'], 5, 2.5))
    assert tagged['agreement'] >= 0.9
    long_dir = out / 'long'
    for name in ('results.json', 'timeline.png', 'labelled.mp4', 'labels.vtt'):
        assert (long_dir / name).stat().st_size > 0, name
    assert (long_dir / 'labels.vtt').read_text().startswith('WEBVTT')
