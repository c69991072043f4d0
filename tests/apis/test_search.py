"""Embeddings of raw files and audio-visual search."""
import pytest
import torch.nn.functional as F
from mmengine.runner import Runner

from cavmae_mm.apis import av_search as search_api
from cavmae_mm.apis import embed_files as embed_api
from cavmae_mm.apis import extract_features, init_model
from tests.tool_loader import load_tool

#: One window per file: the tiny model's clip is 0.64 s, and these tests
#: check one embedding per clip (test_long_files_are_indexed_by_window the
#: windows).
CLIP = 10.0


def embed_files(*args, **kwargs):
    return embed_api(*args, window=kwargs.pop('window', CLIP), **kwargs)


def av_search(*args, **kwargs):
    return search_api(*args, window=kwargs.pop('window', CLIP), **kwargs)


@pytest.fixture(scope='module')
def model(tiny_pretrained):
    config, checkpoint = tiny_pretrained
    return init_model(str(config), str(checkpoint))


def test_raw_videos_embed_like_the_offline_route(model, media):
    loader = Runner.build_dataloader(model.cfg.test_dataloader)
    offline = extract_features(model, loader, show_progress=False)
    raw = embed_files(model, media / 'videos', batch_size=4)
    assert raw['errors'] == []
    assert [p.rsplit('/', 1)[1][:-4] for p in raw['video_id']] == \
        offline['video_id']
    for name in ('audio', 'visual', 'joint'):
        assert raw[name].shape == offline[name].shape
        cosine = F.cosine_similarity(raw[name], offline[name], dim=-1)
        assert cosine.min() > 0.999, name


def test_missing_modality_is_an_error_not_a_stand_in(model, media):
    odd = media / 'odd'
    both = embed_files(model, [odd / 'tone.flac', odd / 'no_audio.mp4'])
    assert both['video_id'] == []
    assert len(both['errors']) == 2
    audio = embed_files(
        model, [odd / 'tone.flac', odd / 'stereo44k.wav'],
        features=('audio', ))
    assert audio['audio'].shape == (2, 32) and audio['errors'] == []


def cos(a, b):
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1)


def test_search_ranks_by_cross_modal_similarity(model, media):
    gallery = embed_files(model, media / 'videos')
    audio_query = media / 'audio' / 'c1_000.wav'
    found = av_search(model, media / 'videos', str(audio_query), topk=None)
    assert found['query_modalities'] == ['audio']
    query = embed_files(model, [audio_query], ('audio', ))['audio'][0]
    expected = cos(gallery['visual'], query)
    order = expected.argsort(descending=True).tolist()
    assert [m['input'] for m in found['matches']] == \
        [gallery['video_id'][i] for i in order]
    assert found['matches'][0]['score'] == pytest.approx(
        float(expected.max()), abs=1e-5)

    image = media / 'frames' / 'frame_5' / 'c2_000.jpg'
    found = av_search(model, media / 'videos', str(image), topk=3)
    assert found['query_modalities'] == ['visual']
    assert len(found['matches']) == 3

    video = media / 'videos' / 'c0_001.mp4'
    found = av_search(model, media / 'videos', str(video), topk=None)
    q = embed_files(model, [video], ('audio', 'visual'))
    both = (cos(gallery['visual'], q['audio'][0]) +
            cos(gallery['audio'], q['visual'][0])) / 2
    assert [m['score'] for m in found['matches']] == pytest.approx(
        sorted(both.tolist(), reverse=True), abs=1e-5)


def test_bad_queries(model, media, tmp_path):
    with pytest.raises(ValueError, match='unknown query type'):
        av_search(model, media / 'videos', str(tmp_path / 'q.xyz'))
    with pytest.raises(ValueError, match='not_media.mp4'):
        av_search(model, media / 'videos',
                  str(media / 'odd' / 'not_media.mp4'))


def test_long_files_are_indexed_by_window(model, tmp_path):
    """A long recording is a collection of windows: a search returns the
    file and the seconds; a long query is its windows' mean."""
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    assert make_synthetic.main([
        str(tmp_path), '--num-classes', '2', '--per-class', '1', '--seconds',
        '1', '--size', '48', '--long', '6', '--change-every', '3'
    ]) == 0
    long = tmp_path / 'long.mp4'
    index = embed_api(
        model, [long], ('audio', 'visual'), window=2.0, stride=1.0)
    assert index['video_id'] == [str(long)] * 5
    assert index['start'] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert index['end'] == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert index['audio'].shape == (5, 32)
    query = tmp_path / 'videos' / 'c1_000.mp4'
    found = search_api(
        model, [long], str(query), topk=None, window=2.0, stride=1.0)
    assert {(m['start'], m['end'])
            for m in found['matches']
            } == set(zip(index['start'], index['end']))
    # a long query: the mean of its windows' embeddings
    whole = search_api(
        model, [query], str(long), topk=None, window=2.0, stride=1.0)
    mean_audio = index['audio'].mean(dim=0)
    mean_visual = index['visual'].mean(dim=0)
    single = embed_api(model, [query], ('audio', 'visual'), window=2.0)
    expected = (cos(single['visual'][0], mean_audio) +
                cos(single['audio'][0], mean_visual)) / 2
    assert whole['matches'][0]['score'] == pytest.approx(
        float(expected), abs=1e-5)
