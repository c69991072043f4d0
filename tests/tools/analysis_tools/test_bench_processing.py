"""tools/analysis_tools/bench_processing.py: the data pipeline of a
recipe (transform costs, loader throughput); timings are not checked."""
from pathlib import Path

import pytest

from tests.tool_loader import load_tool

bench_processing = load_tool('tools/analysis_tools/bench_processing.py')

ROOT = Path(__file__).resolve().parents[3]
# the recipe's loaders on a generated set of 10 s clips
pytestmark = pytest.mark.slow


def test_data_pipeline(synthetic, tmp_path):
    out = tmp_path / 'data.json'
    report = bench_processing.main([
        '--data-root',
        str(synthetic), '--datalist', 'datalist.json', '--label-file',
        'labels.csv', '--samples', '2', '--batches', '2', '--workers', '0',
        '--out',
        str(out)
    ])['data']
    train = {
        row['transform']
        for row in report['pipelines']['train']['transforms_ms']
    }
    assert {'LoadAudio', 'mixup: AudioVisualMixup',
            'mixup: AudioFrontEnd'} <= train
    for pipeline in report['pipelines'].values():
        assert pipeline['samples_per_s']['0'] > 0


def test_data_pipeline_of_the_video_recipe(tmp_path):
    """The recipe straight from video files, on the generated set's
    datalist of video files (the offline recipe would read its wavs)."""
    report = bench_processing.main([
        '--config',
        str(ROOT / 'configs/cavmae-ft_as20k-videos.py'), '--clips', '4',
        '--samples', '1', '--batches', '1', '--workers', '0', '--out',
        str(tmp_path / 'data.json')
    ])['data']
    train = {
        row['transform']
        for row in report['pipelines']['train']['transforms_ms']
    }
    test = {
        row['transform']
        for row in report['pipelines']['test']['transforms_ms']
    }
    assert {'DecodeAudio', 'DecodeOfficialFrames'} <= train & test
    assert 'LoadAudio' not in train | test
    assert report['pipelines']['test']['samples_per_s']['0'] > 0


def test_files_against_shards(tmp_path):
    """--shards: every source, recipe and cache state measured; the shards
    open far fewer files than the files route (counted by strace)."""
    report = bench_processing.main([
        '--shards', '--clips', '12', '--io-samples', '5',
        '--samples-per-shard', '6', '--workers', '1', '--tmp-dir',
        str(tmp_path), '--out',
        str(tmp_path / 'io.json')
    ])['shards']
    rows = report['rows']
    assert len(rows) == 12
    assert {(r['source'], r['cache'])
            for r in rows} == {(s, c)
                               for s in ('files', 'shards', 'shards over HTTP')
                               for c in ('cold', 'warm')}
    assert all(r['ms_per_sample'] > 0 for r in rows)
    opens = {
        r['source']: r['opens_per_1000']
        for r in rows if r.get('opens_per_1000') is not None
    }
    if opens:  # strace installed
        # a wav and a frame per sample (and a partner's with mixup) against
        # at most the two shards of the set
        assert opens['files'] >= 2000
        assert opens['shards'] <= 2 * 1000 / 5
