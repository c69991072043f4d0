"""Long recordings window by window (cavmae_mm.apis.long_media)."""
import numpy as np
import pytest
import torch

from cavmae_mm.apis import (LongMediaClassifier, RawMediaClassifier,
                            classify_long, inference_recognizer, init_model)
from cavmae_mm.utils.media_windows import plan_windows
from tests.tool_loader import load_tool


@pytest.fixture(scope='module')
def model(tiny_classifier):
    config, checkpoint = tiny_classifier
    return init_model(str(config), str(checkpoint))


@pytest.fixture(scope='module')
def long_video(tmp_path_factory):
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('long_media')
    assert make_synthetic.main([
        str(out), '--num-classes', '3', '--per-class', '1', '--seconds', '1',
        '--size', '48', '--long', '12', '--change-every', '4'
    ]) == 0
    return out / 'long.mp4'


def test_a_file_within_one_window_gets_todays_answer(model, media):
    """The clip classifier's numbers, one segment."""
    path = str(media / 'videos' / 'c1_000.mp4')
    clip = RawMediaClassifier(model).run(path, topk=3)['results'][0]
    result = classify_long(model, path, window=10.0, topk=3)
    assert result['predictions'] == clip['predictions']
    assert result['modality'] == clip['modality']
    assert result['segments'] == [
        dict(
            start=0.0, end=result['duration'], predictions=clip['predictions'])
    ]
    assert result['window'] == 10.0 and result['stride'] == 5.0


def test_long_file_segments_and_aggregation(model, long_video):
    """The tiny model's clip is 0.64 s: a window every 0.32 s over the
    12 s file; the file-level scores aggregate the windows' (a
    single-label model: their mean)."""
    classifier = LongMediaClassifier(RawMediaClassifier(model), batch_size=5)
    assert classifier.window == pytest.approx(0.64)
    assert classifier.aggregation == 'mean'
    seen = []
    result = classifier.classify_file(
        str(long_video),
        topk=2,
        progress=lambda done, total: seen.append((done, total)),
        return_scores=True)
    windows = plan_windows(result['duration'], 0.64, 0.32)
    assert len(result['segments']) == len(windows) == result['scores'].shape[0]
    assert [s['start'] for s in result['segments']] == \
        [round(w.start, 3) for w in windows]
    assert result['segments'][-1]['end'] == result['duration']
    assert seen[-1] == (len(windows), len(windows))
    assert len(seen) == -(-len(windows) // 5)  # one report per batch
    mean = result['scores'].mean(axis=0)
    best = int(np.argmax(mean))
    assert result['predictions'][0]['index'] == best
    assert result['predictions'][0]['score'] == pytest.approx(
        float(mean[best]), rel=1e-5)
    for segment, row in zip(result['segments'], result['scores']):
        assert segment['predictions'][0]['index'] == int(np.argmax(row))
    assert result['class_names'] == classifier.classifier.labels
    # windows differ: the file changes class every 4 s
    assert not torch.allclose(
        torch.from_numpy(result['scores'][0]),
        torch.from_numpy(result['scores'][-1]))


def test_bad_window_settings_and_files(model, media):
    with pytest.raises(ValueError, match='stride'):
        classify_long(model, str(media / 'videos' / 'c0_000.mp4'), 1.0, 2.0)
    with pytest.raises(Exception, match='truncated.mp4'):
        classify_long(model, str(media / 'odd' / 'truncated.mp4'))


def test_inference_recognizer_windows_long_files(model, media, long_video):
    """The Python API: long files get their windows' segments, short ones
    one segment, in input order."""
    short = str(media / 'videos' / 'c0_000.mp4')
    out = inference_recognizer(
        model, [str(long_video), short], topk=2, window=2.0, stride=1.0)
    long_result, short_result = out['results']
    assert len(long_result['segments']) == len(
        plan_windows(long_result['duration'], 2.0, 1.0))
    assert len(short_result['segments']) == 1
    assert short_result['window'] == 2.0
