"""Raw-file inference: same answers as the offline route, missing
modalities, bad inputs, batching and workers, the inferencer."""
import json

import pytest
import torch
from mmengine.runner import Runner

from cavmae_mm.apis import CAVMAEInferencer, inference_recognizer, init_model
from cavmae_mm.checkpoint import CheckpointMismatch
from tests.media_fixtures import write_config

# Largest score difference between a raw mp4 and the offline route
# (extract_audio/extract_frames + the config's test pipeline) measured on
# the synthetic clips; the route differs only by the wav's 16-bit rounding
# and the frames' JPEG compression.
RAW_VS_OFFLINE_ATOL = 5e-3  # measured: 8.8e-4


def offline_scores(model):
    """pred_score per video id through the config's test data loader."""
    loader = Runner.build_dataloader(model.cfg.test_dataloader)
    scores = {}
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                scores[sample.metainfo['video_id']] = sample.pred_score
    return scores


def classify_clips(*args, **kwargs):
    """inference_recognizer with one window per file: the tiny model's clip
    is 0.64 s, and these tests check the clip path against the offline
    route (tests/apis/test_long_media.py checks the windows)."""
    return inference_recognizer(*args, window=10.0, **kwargs)


@pytest.fixture(scope='module')
def model(tiny_classifier):
    config, checkpoint = tiny_classifier
    return init_model(str(config), str(checkpoint))


def test_raw_videos_match_the_offline_route(model, media):
    offline = offline_scores(model)
    out = classify_clips(model, media / 'videos', topk=3)
    assert out['errors'] == []
    assert [r['input'] for r in out['results']
            ] == sorted(str(p) for p in (media / 'videos').glob('*.mp4'))
    worst = 0.0
    for result in out['results']:
        video_id = result['input'].rsplit('/', 1)[1][:-4]
        assert result['modality'] == 'audio_visual'
        reference = offline[video_id]
        ranked = reference.argsort(descending=True).tolist()
        assert [p['index'] for p in result['predictions']] == ranked
        raw = torch.tensor([p['score'] for p in result['predictions']])
        worst = max(worst, float((raw - reference[ranked]).abs().max()))
        labels = ['tone 330 Hz', 'tone 660 Hz', 'tone 1320 Hz']
        assert [p['label'] for p in result['predictions']] == \
            [labels[i] for i in ranked]
    assert worst < RAW_VS_OFFLINE_ATOL
    # softmax scores (single-label head, 'prob' averaging over 10 frames)
    total = sum(p['score'] for p in out['results'][0]['predictions'])
    assert total == pytest.approx(1.0, abs=1e-5)


def test_missing_and_silent_audio_use_the_frames(model, media):
    odd = media / 'odd'
    out = classify_clips(model, [
        odd / 'no_audio.mp4', odd / 'silent.mkv', odd / 'stereo44k.wav',
        odd / 'extracted16k.wav', odd / 'tone.flac', odd / 'tone.ogg',
        odd / 'tone.m4a'
    ])
    assert out['errors'] == []
    modalities = [r['modality'] for r in out['results']]
    # official names: missingvideoonly = frames only, missingaudioonly =
    # audio only, for a model finetuned on both
    assert modalities == ['visual_without_audio', 'visual_without_audio'] + \
        ['audio_without_visual'] * 5
    # the missing-modality path is the model's, not a made-up input
    model.modality = 'missingaudioonly'
    fbank = torch.randn(1, 64, 32)
    try:
        direct = model(dict(audios=fbank), mode='tensor')
    finally:
        model.modality = 'multimodal'
    assert direct.shape == (1, 3)


def test_extracted_wav_equals_the_offline_audio(media, tiny_classifier):
    """An extracted 16 kHz mono wav is read exactly as LoadAudio reads it:
    the audio path gives the offline route's scores."""
    config, checkpoint = tiny_classifier
    audio_model = init_model(
        str(write_config(config.parent, media, modality='audioonly')),
        str(checkpoint))
    offline = offline_scores(audio_model)['c1_000']
    out = classify_clips(
        audio_model, media / 'odd' / 'extracted16k.wav', topk=3)
    (result, ) = out['results']
    assert result['modality'] == 'audio'
    raw = {p['index']: p['score'] for p in result['predictions']}
    assert torch.allclose(
        torch.tensor([raw[i] for i in range(3)]), offline, atol=1e-6)


def test_a_model_that_cannot_serve_the_input(media, tiny_classifier):
    config, checkpoint = tiny_classifier
    odd = media / 'odd'
    audio_model = init_model(
        str(write_config(config.parent, media, modality='audioonly')),
        str(checkpoint))
    out = classify_clips(audio_model,
                         [odd / 'no_audio.mp4', odd / 'silent.mkv'])
    assert out['results'] == []
    assert 'no audio track' in out['errors'][0]['error']
    assert 'silent' in out['errors'][1]['error']
    video_model = init_model(
        str(write_config(config.parent, media, modality='videoonly')),
        str(checkpoint))
    out = classify_clips(video_model, [odd / 'stereo44k.wav'])
    assert 'no video' in out['errors'][0]['error']
    assert 'stereo44k.wav' in out['errors'][0]['error']


@pytest.mark.parametrize('name, reason', [
    ('not_media.mp4', 'not a readable media file'),
    ('truncated.mp4', 'truncated.mp4: '),
    ('empty.wav', 'no samples'),
    ('nan.wav', 'NaN'),
    ('missing.mp4', 'not found'),
])
def test_bad_files_are_errors_and_others_go_on(model, media, name, reason):
    good = media / 'videos' / 'c2_001.mp4'
    out = classify_clips(model, [media / 'odd' / name, good])
    assert [r['input'] for r in out['results']] == [str(good)]
    (error, ) = out['errors']
    assert error['input'] == str(media / 'odd' / name)
    assert reason in error['error'] and name in error['error']


def test_folder_without_media_and_list_files(model, media, tmp_path):
    with pytest.raises(ValueError, match='no_media: the folder holds no'):
        inference_recognizer(model, media / 'no_media')
    listing = tmp_path / 'inputs.txt'
    listing.write_text(f'# clips\n{media / "videos" / "c0_001.mp4"}\n\n'
                       f'{media / "odd" / "tone.flac"}\n')
    out = classify_clips(model, listing)
    assert [r['modality'] for r in out['results']
            ] == ['audio_visual', 'audio_without_visual']


def test_batches_and_workers_give_the_same_answers(model, media):
    inputs = [
        media / 'videos', media / 'odd' / 'no_audio.mp4',
        media / 'odd' / 'not_media.mp4', media / 'odd' / 'tone.flac'
    ]
    one = classify_clips(model, inputs)
    many = classify_clips(model, inputs, batch_size=3, num_workers=2)
    assert [r['input'] for r in one['results']] == \
        [r['input'] for r in many['results']]
    for a, b in zip(one['results'], many['results'], strict=True):
        assert a['modality'] == b['modality']
        assert [p['index'] for p in a['predictions']] == \
            [p['index'] for p in b['predictions']]
        for p, q in zip(a['predictions'], b['predictions'], strict=True):
            assert p['score'] == pytest.approx(q['score'], abs=1e-5)
    assert one['errors'] == many['errors']


def test_sigmoid_scores_for_multi_label(media, tiny_classifier):
    config, checkpoint = tiny_classifier
    model = init_model(
        str(
            write_config(
                config.parent, media, average='sigmoid', multi_label=True)),
        str(checkpoint))
    out = classify_clips(model, media / 'videos' / 'c0_000.mp4', topk=3)
    scores = [p['score'] for p in out['results'][0]['predictions']]
    assert sum(scores) != pytest.approx(1.0, abs=1e-3)
    offline = offline_scores(model)['c0_000']
    assert max(scores) == pytest.approx(float(offline.max()), abs=0.02)


def test_label_file_must_match_the_head(model, tmp_path):
    labels = tmp_path / 'labels.csv'
    labels.write_text('index,mid,display_name\n0,/m/a,"a"\n1,/m/b,"b"\n')
    with pytest.raises(
            ValueError, match='2 classes, but the model '
            'classifies 3'):
        inference_recognizer(model, 'x.mp4', label_file=str(labels))


def test_pretraining_weights_are_no_classifier(media, tiny_classifier,
                                               tmp_path):
    from cavmae_mm.registry import MODELS
    from tests.helpers import tiny_pretrain_cfg
    pretrained = MODELS.build(tiny_pretrain_cfg())
    path = tmp_path / 'pretrain.pth'
    torch.save({'state_dict': pretrained.state_dict()}, path)
    config, _ = tiny_classifier
    with pytest.raises(CheckpointMismatch) as info:
        init_model(str(config), str(path))
    message = str(info.value)
    assert 'cls_head.fc.weight' in message
    assert 'pretraining checkpoint' in message


def test_inferencer_equals_the_function(model, tiny_classifier, media):
    config, checkpoint = tiny_classifier
    inferencer = CAVMAEInferencer(
        str(config), str(checkpoint), device='cpu', show_progress=False)
    inputs = [str(media / 'videos'), str(media / 'odd' / 'not_media.mp4')]
    got = inferencer(inputs, topk=2, batch_size=2)
    expected = inference_recognizer(model, inputs, topk=2)
    assert json.dumps(got, sort_keys=True) == \
        json.dumps(expected, sort_keys=True)
