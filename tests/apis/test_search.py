"""Embeddings of raw files and audio-visual search."""
import pytest
import torch.nn.functional as F
from mmengine.runner import Runner

from cavmae_mm.apis import av_search, embed_files, extract_features, init_model


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
