"""Windows of long recordings: the plan, the streamed audio (equal to the
whole track's slices, in bounded memory) and each window's frames."""
import numpy as np
import pytest

from cavmae_mm.utils.media_windows import (AudioWindows, FrameWindows, Window,
                                           iter_windows, media_duration,
                                           plan_windows, window_frame_indices)
from cavmae_mm.utils.video_io import (decode_audio, official_frame_indices,
                                      read_official_frames, usable_frame_count)
from tests.tool_loader import load_tool


def test_plan_covers_the_file_and_pads_only_the_last_window():
    assert plan_windows(8.0, 10.24, 5.12) == [Window(0.0, 10.24)]
    assert plan_windows(10.24, 10.24, 5.12) == [Window(0.0, 10.24)]
    windows = plan_windows(1200.0, 10.24, 5.12)
    assert len(windows) == 234  # ceil((1200 - 10.24) / 5.12) + 1
    assert windows[-1].end >= 1200.0 > windows[-2].end
    assert all(b.start - a.start == pytest.approx(5.12)
               for a, b in zip(windows, windows[1:]))
    # a whole number of strides: no needless extra window
    assert len(plan_windows(30.0, 10.0, 10.0)) == 3
    for bad in (dict(stride=0), dict(stride=11.0)):
        with pytest.raises(ValueError, match='stride'):
            plan_windows(60.0, 10.0, bad['stride'])


@pytest.fixture(scope='module')
def long_video(tmp_path_factory):
    """A 30 s synthetic recording whose class changes every 10 s."""
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('long')
    assert make_synthetic.main([
        str(out), '--num-classes', '3', '--per-class', '1', '--seconds', '1',
        '--size', '48', '--long', '30', '--change-every', '10'
    ]) == 0
    return out / 'long.mp4'


def test_streamed_audio_equals_the_whole_tracks_slices(long_video):
    whole = decode_audio(long_video).samples
    windows = plan_windows(media_duration(long_video), 4.0, 1.5)
    stream = AudioWindows(long_video)
    biggest = 0
    for _, window, following in iter_windows(windows):
        samples = stream.take(window, following)
        first = int(round(window.start * 16000))
        assert np.array_equal(samples, whole[first:first + 64000])
        biggest = max(biggest, stream._buffered)
    # never more than a window and a decoded chunk or two of the 30 s
    assert biggest < 64000 + 8192 < whole.size
    with pytest.raises(ValueError, match='in order'):
        stream.take(windows[0])


def test_window_frames_are_the_extraction_of_each_window(long_video):
    with FrameWindows(long_video) as frames:
        fps, count = frames.fps, frames.frame_count
        first = window_frame_indices(Window(0.0, 10.24), fps, count)
        read = frames.read(first)
    expected, indices = read_official_frames(long_video)
    assert first == indices == official_frame_indices(
        usable_frame_count(count, fps))
    assert all(np.array_equal(a, b) for a, b in zip(read, expected))
    later = window_frame_indices(Window(12.0, 22.24), fps, count)
    assert later[0] == int(round(12.0 * fps))
    assert later == [int(round(12.0 * fps)) + i for i in first]
    end = window_frame_indices(Window(25.0, 35.24), fps, count)
    assert max(end) < count  # the padded last window reads what exists
    with pytest.raises(ValueError, match='after the last'):
        window_frame_indices(Window(31.0, 41.0), fps, count)
