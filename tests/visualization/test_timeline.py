"""The outputs of a long-file classification (cavmae_mm.visualization):
display intervals, subtitles, the timeline figure and the annotated video,
on a synthetic result (no model) and a real 24 s synthetic clip with AAC
audio made by tools/data/make_synthetic.py."""
import math
import re
import xml.etree.ElementTree as ElementTree

import av
import numpy as np
import pytest
from PIL import Image

from cavmae_mm.utils.video_io import MediaError, read_audio_track
from cavmae_mm.visualization import (annotate_video, display_intervals,
                                     plot_timeline, timeline, write_subtitles)
from cavmae_mm.visualization.timeline import _choose_classes, _LabelBox
from tests.media_fixtures import write_audio, write_video
from tests.tool_loader import load_tool

WINDOW, STRIDE = 10.24, 5.12
NAMES = ['Dog', 'Bark', 'Speech', 'Música & <Rock>', 'Rain', 'Wind', 'Car']


def windows(duration, window=WINDOW, stride=STRIDE):
    """(start, end) of the sliding windows over ``duration`` (the last one
    reaching the end, clipped to it)."""
    count = max(1, math.ceil((duration - window) / stride - 1e-9) + 1)
    return [(round(i * stride,
                   6), round(min(i * stride + window, duration), 6))
            for i in range(count)]


def make_result(duration=24.0,
                window=WINDOW,
                stride=STRIDE,
                seed=0,
                num_classes=len(NAMES),
                top=5):
    """A long-file result and its score matrix, as the core returns."""
    rng = np.random.default_rng(seed)
    spans = windows(duration, window, stride)
    scores = rng.uniform(0, 1, (len(spans), num_classes))
    names = NAMES if num_classes == len(NAMES) else [
        f'class {i}' for i in range(num_classes)
    ]

    def top_k(row):
        order = np.argsort(-row)[:top]
        return [
            dict(label=names[i], index=int(i), score=float(row[i]))
            for i in order
        ]

    segments = [
        dict(start=start, end=end, predictions=top_k(row))
        for (start, end), row in zip(spans, scores)
    ]
    result = dict(
        input='/data/recording.mp4',
        modality='audio_visual',
        duration=duration,
        window=window,
        stride=stride,
        aggregation='max',
        predictions=top_k(scores.max(axis=0))[:3],
        segments=segments)
    return result, scores, names


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """A 24 s, 160x120, 10 fps synthetic clip with 16 kHz AAC audio."""
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('long_clip')
    assert make_synthetic.main([
        str(out), '--num-classes', '1', '--per-class', '1', '--seconds', '24',
        '--size', '120'
    ]) == 0
    return out / 'videos' / 'c0_000.mp4'


# ----------------------------------------------------------------------------
# display intervals
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('duration,window,stride', [(24.0, WINDOW, STRIDE),
                                                    (24.0, WINDOW, WINDOW),
                                                    (1200.0, WINDOW, 2.0),
                                                    (7.5, WINDOW, STRIDE)])
def test_intervals_cover_the_file_and_pick_the_nearest_centre(
        duration, window, stride):
    result, _, _ = make_result(duration, window, stride)
    segments = result['segments']
    intervals = display_intervals(segments, duration)
    assert len(intervals) == len(segments)
    assert intervals[0][0] == 0.0 and intervals[-1][1] == duration
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        assert end == start  # contiguous, no overlap
    assert all(start <= end for start, end in intervals)
    spans = np.array([(s['start'], s['end']) for s in segments])
    centres = spans.mean(axis=1)
    full = spans[:, 1] - spans[:, 0] == spans[0, 1] - spans[0, 0]
    starts = [start for start, _ in intervals]
    for t in np.linspace(0, duration, 997):
        distance = np.abs(centres - t)
        shown = max(np.searchsorted(starts, t, side='right') - 1, 0)
        covering = (spans[:, 0] <= t) & (t <= spans[:, 1])
        # the nearest centre among the windows of full length, and among
        # those that cover t (the last window is cut at the end)
        assert distance[shown] <= distance[full].min(
        ) + 1e-9 or not full[shown]
        assert covering[shown]
        assert distance[shown] <= distance[covering].min() + 1e-9
    if stride == window:  # no overlap: the windows themselves
        assert intervals == [(s['start'], s['end']) for s in segments]


def test_intervals_edge_cases():
    assert display_intervals([], 10.0) == []
    one = [dict(start=0.0, end=10.24)]
    assert display_intervals(one, 4.0) == [(0.0, 4.0)]
    assert display_intervals(one) == [(0.0, 10.24)]
    with pytest.raises(ValueError, match='time order'):
        display_intervals([dict(start=5, end=15), dict(start=0, end=10)], 15)
    with pytest.raises(ValueError, match='positive'):
        display_intervals(one, 0.0)
    with pytest.raises(ValueError, match='window 0'):
        display_intervals([dict(start=3, end=1)], 5)


# ----------------------------------------------------------------------------
# subtitles
# ----------------------------------------------------------------------------
STAMP = {
    '.vtt': re.compile(r'^(\d{2,}):(\d{2}):(\d{2})\.(\d{3})$'),
    '.srt': re.compile(r'^(\d{2,}):(\d{2}):(\d{2}),(\d{3})$')
}


def parse_subtitles(path):
    """[(number, start s, end s, text)] of a VTT/SRT file, checking its
    layout on the way."""
    text = path.read_bytes().decode('utf-8')
    blocks = text.rstrip('\n').split('\n\n')
    if path.suffix == '.vtt':
        assert blocks[0] == 'WEBVTT'
        blocks = [b for b in blocks[1:] if not b.startswith('NOTE')]
    stamp = STAMP[path.suffix]

    def seconds(value):
        h, m, s, ms = stamp.match(value).groups()
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = []
    for block in blocks:
        number, times, *lines = block.split('\n')
        assert len(lines) == 1, block
        start, arrow, end = times.split(' ')
        assert arrow == '-->'
        cues.append((int(number), seconds(start), seconds(end), lines[0]))
    return cues


def unescape_vtt(text):
    return text.replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&')


@pytest.mark.parametrize('suffix', ['.vtt', '.srt'])
def test_subtitles_parse_back(tmp_path, suffix):
    result, _, _ = make_result()
    path = write_subtitles(result, tmp_path / 'sub' / f'labels{suffix}')
    cues = parse_subtitles(path)
    intervals = display_intervals(result['segments'], result['duration'])
    assert [c[0] for c in cues] == list(range(1, len(intervals) + 1))
    for (_, start, end,
         text), (lo, hi), segment in zip(cues, intervals, result['segments']):
        assert start == pytest.approx(lo, abs=5e-4)
        assert end == pytest.approx(hi, abs=5e-4)
        if suffix == '.vtt':
            assert '<' not in text and '>' not in text
            text = unescape_vtt(text)
        expected = ' \u00b7 '.join(f'{p["label"]} {p["score"]:.2f}'
                                   for p in segment['predictions'][:3])
        assert text == expected
    assert cues[-1][2] == result['duration']


def test_subtitles_escape_hours_and_top(tmp_path):
    start = 100 * 3600 - 5.0  # hours beyond 99
    result = dict(
        duration=start + 20,
        segments=[
            dict(
                start=start,
                end=start + 10,
                predictions=[
                    dict(label='Música & <Rock>', index=3, score=0.9),
                    dict(label='Dog\nBark', index=0, score=0.5)
                ]),
            dict(
                start=start + 10,
                end=start + 20,
                predictions=[dict(label='Rain', index=4, score=0.25)])
        ])
    vtt = write_subtitles(result, tmp_path / 'a.vtt', top=1)
    srt = write_subtitles(result, tmp_path / 'a.SRT', top=2)
    vtt_text = vtt.read_text(encoding='utf-8')
    assert 'Música &amp; &lt;Rock&gt; 0.90\n' in vtt_text
    assert 'Dog' not in vtt_text  # top=1
    assert '00:00:00.000 --> 100:00:05.000\n' in vtt_text
    srt_text = srt.read_text(encoding='utf-8')
    assert 'Música & <Rock> 0.90 \u00b7 Dog Bark 0.50' in srt_text
    assert '100:00:05,000 --> 100:00:15,000\n' in srt_text
    for path in (tmp_path / 'a.txt', tmp_path / 'a'):
        with pytest.raises(ValueError, match=re.escape(str(path))):
            write_subtitles(result, path)
    with pytest.raises(ValueError, match='segments'):
        write_subtitles(dict(predictions=[]), tmp_path / 'b.vtt')
    with pytest.raises(ValueError, match='top'):
        write_subtitles(result, tmp_path / 'b.vtt', top=0)


# ----------------------------------------------------------------------------
# timeline figure
# ----------------------------------------------------------------------------
def test_plot_png_and_svg(tmp_path):
    result, scores, names = make_result()
    png = plot_timeline(result, scores, names, tmp_path / 'fig' / 't.png')
    with Image.open(png) as image:
        assert image.format == 'PNG'
        assert image.size == (1200, 450)
        pixels = np.asarray(image.convert('RGB'))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # drawn
    svg = plot_timeline(
        result, scores, names, tmp_path / 't.svg', top_classes=2, title='T')
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith('svg')
    assert 10_000 < svg.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match='t.pdf'):
        plot_timeline(result, scores, names, tmp_path / 't.pdf')
    with pytest.raises(ValueError, match=r'\[4, 7\], got \[4, 3\]'):
        plot_timeline(result, scores[:, :3], names, tmp_path / 't.png')


def test_plot_classes_follow_the_file_level_predictions():
    result, scores, _ = make_result()
    first = [p['index'] for p in result['predictions']]
    assert _choose_classes(result, scores, 2) == first[:2]
    chosen = _choose_classes(result, scores, 5)
    assert chosen[:3] == first and len(set(chosen)) == 5
    rest = [i for i in np.argsort(-scores.max(axis=0)) if i not in first]
    assert chosen[3:] == rest[:2]
    assert _choose_classes(dict(predictions=[]), scores,
                           1) == [int(np.argmax(scores.max(axis=0)))]


@pytest.mark.parametrize('duration', [1200.0, 7200.0])
def test_plot_long_files(tmp_path, duration):
    """20 min and 2 h (1400 windows, 527 classes): the same figure size,
    one path per class, small files."""
    result, scores, names = make_result(duration, num_classes=527)
    png = plot_timeline(result, scores, names, tmp_path / 'long.png')
    svg = plot_timeline(result, scores, names, tmp_path / 'long.svg')
    with Image.open(png) as image:
        assert image.size == (1200, 450)
    assert png.stat().st_size < 400_000
    assert svg.stat().st_size < 1_000_000


# ----------------------------------------------------------------------------
# annotated video
# ----------------------------------------------------------------------------
def video_info(path):
    """(frames decoded, video duration s, audio stream or None)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(container.duration / 1e6)
        audio = [s.codec_context.name for s in container.streams.audio]
    return frames, duration, audio


def frames_at(path, indices):
    """RGB frames of ``path`` at these indices."""
    wanted, found = set(indices), {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                found[i] = frame.to_ndarray(format='rgb24').astype(np.int16)
    return [found[i] for i in indices]


def test_annotated_video_keeps_frames_audio_and_timing(clip, tmp_path):
    result, _, _ = make_result(24.0)
    result['input'] = str(clip)
    calls = []
    out = annotate_video(
        clip,
        result,
        tmp_path / 'out' / 'annotated.mp4',
        progress=lambda done, total: calls.append((done, total)))
    assert out.is_file()
    assert not list(out.parent.glob('.*partial*'))
    source_frames, source_duration, source_audio = video_info(clip)
    frames, duration, audio = video_info(out)
    assert abs(frames - source_frames) <= 1
    assert duration == pytest.approx(source_duration, abs=0.05)
    assert audio == source_audio == ['aac']
    # the audio packets are copied: the same decoded samples
    np.testing.assert_array_equal(
        read_audio_track(out), read_audio_track(clip))
    assert calls[-1] == (frames, source_frames)
    assert [done for done, _ in calls] == list(range(1, frames + 1))

    # the box is drawn where the labels are, the rest is the picture
    box = _LabelBox(160, 120).render(0, ['Dog 0.91'] * 3)
    x, y, colour, _ = box
    inside = (slice(y, y + colour.shape[0]), slice(x, x + colour.shape[1]))
    outside = (slice(y + colour.shape[0] + 4, None), slice(None))
    indices = [5, 120, 230]
    for before, after in zip(
            frames_at(clip, indices), frames_at(out, indices)):
        assert np.abs(after[inside] - before[inside]).mean() > 30
        assert np.abs(after[outside] - before[outside]).mean() < 4


def test_annotated_video_shows_the_current_window(clip, tmp_path):
    """Frames in one display interval share a box; the next window's
    labels change it."""
    result, _, _ = make_result(24.0, stride=WINDOW)  # [0, 10.24), ...
    words = ['Dog barking', 'Heavy rain', 'Wind']
    for segment, word in zip(result['segments'], words):
        segment['predictions'] = [dict(label=word, index=0, score=0.5)]
    out = annotate_video(clip, result, tmp_path / 'a.mov', top=1)
    first, same, other = frames_at(out, [10, 90, 150])  # 1 s, 9 s, 15 s
    box = (slice(0, 20), slice(0, 100))
    # the box's text is the same in one interval (the picture under the
    # half-transparent box moves a little), another in the next one
    text = [frame[box].min(axis=2) > 180 for frame in (first, same, other)]
    assert (text[0] != text[1]).mean() < 0.02
    assert (text[0] != text[2]).mean() > 0.02


def test_annotated_video_without_audio(tmp_path):
    source = tmp_path / 'no_audio.mp4'
    write_video(source, seconds=1.5)
    result = dict(
        duration=1.5,
        segments=[
            dict(start=0, end=1.5, predictions=[dict(label='a', score=1.0)])
        ])
    out = annotate_video(source, result, tmp_path / 'out.mkv')
    frames, duration, audio = video_info(out)
    assert (frames, audio) == (15, [])
    assert duration == pytest.approx(1.5, abs=0.05)


def test_annotated_video_fallbacks(tmp_path, monkeypatch):
    """MPEG-4 part 2 where PyAV has no libx264; AAC where the container
    cannot take the audio as it is (both forced here)."""
    source = tmp_path / 'tone.mp4'
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(24000) / 16000)
    write_video(source, seconds=1.5, audio=tone)
    monkeypatch.setattr(timeline, '_video_codec', lambda: 'mpeg4')
    monkeypatch.setattr(timeline, '_can_copy_audio', lambda *args: False)
    result = dict(
        duration=1.5,
        segments=[
            dict(start=0, end=1.5, predictions=[dict(label='a', score=1.0)])
        ])
    out = annotate_video(source, result, tmp_path / 'out.mp4')
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == 'mpeg4'
    frames, duration, audio = video_info(out)
    assert (frames, audio) == (15, ['aac'])
    before, after = read_audio_track(source), read_audio_track(out)
    assert abs(len(after) - len(before)) <= 1024
    count = min(len(before), len(after))
    assert np.abs(after[:count] - before[:count]).mean() < 0.02


def test_annotated_video_is_upright(tmp_path):
    """A portrait video stored sideways with a display rotation (as phones
    write them) is annotated upright, as players show it."""
    source = tmp_path / 'portrait.mp4'
    with av.open(str(source), 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        stream.set_display_rotation(-90)  # shown turned clockwise
        pixels = np.zeros((48, 64, 3), np.uint8)
        pixels[:12, -12:] = 255  # top right: bottom right once turned
        for _ in range(5):
            container.mux(
                stream.encode(
                    av.VideoFrame.from_ndarray(pixels, format='rgb24')))
        container.mux(stream.encode())
    result = dict(
        duration=0.5,
        segments=[
            dict(start=0, end=0.5, predictions=[dict(label='a', score=1.0)])
        ])
    out = annotate_video(source, result, tmp_path / 'upright.mp4')
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.rotation == 0
        pixels = frame.to_ndarray(format='rgb24')
    assert pixels.shape == (64, 48, 3)
    assert pixels[-10:, -10:].mean() > 200 and pixels[-10:, :10].mean() < 50


def test_annotated_video_errors(tmp_path):
    result, _, _ = make_result(3.0)
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        annotate_video(tmp_path / 'missing.mp4', result, tmp_path / 'o.mp4')
    junk = tmp_path / 'junk.mp4'
    junk.write_text('not a video')
    with pytest.raises(MediaError, match='junk.mp4'):
        annotate_video(junk, result, tmp_path / 'o.mp4')
    sound = tmp_path / 'sound.m4a'
    write_audio(sound, np.zeros(16000), 16000)
    with pytest.raises(MediaError, match='sound.m4a: no video stream'):
        annotate_video(sound, result, tmp_path / 'o.mp4')
    with pytest.raises(ValueError, match='o.avi'):
        annotate_video(junk, result, tmp_path / 'o.avi')
    with pytest.raises(ValueError, match='overwrite'):
        annotate_video(junk, result, junk)
    assert not list(tmp_path.glob('*o.*'))  # nothing left behind
