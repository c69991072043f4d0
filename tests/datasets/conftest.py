"""Fixtures of the dataset tests: one clip and a datalist of four clips
(the files are written by tests/datasets/helpers.py)."""
import json

import pytest

from tests.datasets.helpers import LABELS, write_frames, write_tone


@pytest.fixture
def clip(tmp_path):
    wav = write_tone(tmp_path / 'clip.wav')
    frames = write_frames(tmp_path / 'frames', 'clip')
    return dict(audio_path=str(wav), video_path=str(frames), video_id='clip')


@pytest.fixture
def datalist(tmp_path):
    (tmp_path / 'audio').mkdir()
    entries = []
    for i, labels in enumerate(['/m/a', '/m/b,/m/c', '/m/c', '/m/a,/m/b']):
        vid = f'clip{i}'
        write_tone(
            tmp_path / 'audio' / f'{vid}.wav', seconds=0.5, freq=300 + 200 * i)
        write_frames(tmp_path / 'frames', vid, size=(48, 40))
        entries.append(
            dict(
                wav=f'audio/{vid}.wav',
                labels=labels,
                video_id=vid,
                video_path='frames'))
    (tmp_path / 'labels.csv').write_text(LABELS)
    (tmp_path / 'data.json').write_text(json.dumps(dict(data=entries)))
    return tmp_path
