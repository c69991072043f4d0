"""Frames as the official extraction reads them; stream probing."""
import av
import numpy as np
import pytest

from cavmae_mm.utils.video_io import (MediaError, official_frame_indices,
                                      probe_streams, read_official_frames)


def test_official_indices_read_one_frame_before():
    # official: int(i * N / 10), then OpenCV seeks to that index - 1
    assert official_frame_indices(15) == [0, 0, 2, 3, 5, 6, 8, 9, 11, 12]
    assert official_frame_indices(100) == [
        0, 9, 19, 29, 39, 49, 59, 69, 79, 89
    ]
    assert official_frame_indices(3) == [0] * 4 + [0] * 3 + [1] * 3


def test_frames_are_the_decoded_frames_at_those_indices(synthetic):
    video = synthetic / 'videos' / 'c1_001.mp4'
    with av.open(str(video)) as container:
        decoded = [
            f.to_ndarray(format='rgb24') for f in container.decode(video=0)
        ]
    frames, indices = read_official_frames(video)
    # 1.5 s at 10 fps: N = min(15, int(10 * 10)) = 15
    assert indices == official_frame_indices(15)
    for frame, index in zip(frames, indices, strict=True):
        assert np.array_equal(frame, decoded[index])


def test_probe_and_errors(synthetic, tmp_path):
    assert probe_streams(synthetic / 'videos' / 'c0_000.mp4') == (True, True)
    junk = tmp_path / 'junk.mp4'
    junk.write_text('no video here')
    with pytest.raises(MediaError, match='junk.mp4: not a readable media'):
        probe_streams(junk)
    with pytest.raises(MediaError, match='junk.mp4'):
        read_official_frames(junk)
    with pytest.raises(FileNotFoundError, match='gone.mp4'):
        read_official_frames(tmp_path / 'gone.mp4')
