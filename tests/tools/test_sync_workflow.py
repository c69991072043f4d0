"""CAV-MAE Sync end to end with the package's tools, on the synthetic set
extracted with 4 frames per clip: a tiny Sync model pretrains
(tools/train.py), resumes to the bit, finetunes a clip classifier
(CAVMAESyncRecognizer + CAVMAEFrameAttentionHead) that tools/test.py
evaluates, is evaluated for retrieval (tools/test.py, RetrievalMetric over
the 4 frames of each clip), and embeds and searches clips
(tools/misc/extract_features.py, tools/misc/av_search.py and their APIs):
per-frame global tokens, scored as the retrieval metric scores them."""
import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.engine.test_exact_resume import assert_bit_identical, one_thread
from tests.helpers import ROOT
from tests.tool_loader import load_tool

train_tool = load_tool('tools/train.py')
test_tool = load_tool('tools/test.py')
features_tool = load_tool('tools/misc/extract_features.py')
search_tool = load_tool('tools/misc/av_search.py')

# whole training and test runs
pytestmark = pytest.mark.slow

FRAMES = 4
# Tiny CAV-MAE Sync pretraining on the synthetic set: a 32-frame audio
# segment (2 x 2 patches of 16) centred on each frame of a 128-frame clip
# fbank (1.28 s of the 1.5 s clips), 32 px frames, width 32, 3 blocks (2
# specific + 1 shared), 2 register tokens per modality, InfoNCE on the
# global tokens. Training takes one frame of 4 at random and its segment;
# testing (retrieval) all 4, each with its segment.
SYNC_CONFIG = '''
_base_ = [{base!r}, {schedule!r}]
input_geometry = dict(target_length=32, num_mel_bins=32, frame_size=32)
model = dict(
    type='CAVMAE',
    backbone=dict(type='CAVMAESyncEncoder', embed_dim=32, depth=3,
                  modality_specific_depth=2, num_heads=4,
                  num_register_tokens=2),
    neck=dict(type='CAVMAEDecoder', embed_dim=32, decoder_embed_dim=16,
              depth=2, num_heads=2),
    reconstruction_head=dict(type='CAVMAEReconstructionHead', norm_pix=True),
    contrastive_head=dict(type='CAVMAEContrastiveHead', pooling='global'))
front = dict(type='AudioFrontEnd', clip_length=128)
images = [dict(type='LoadFrames'), dict(type='ResizeCenterCrop')]
pack = dict(type='PackActionInputs', collect_keys=('audios', 'imgs'),
            meta_keys=('video_id', 'frame_inds'))
clip = [dict(type='LoadAudio'), front,
        dict(type='SelectFrames', mode='all', num_frames={frames}),
        dict(type='AlignAudioToFrames'), *images]
data = dict(type='AudioVisualDataset', data_root={root!r},
            ann_file='datalist.json', label_file='labels.csv')
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(data, pipeline=[
        dict(type='LoadAudio'), front,
        dict(type='SelectFrames', mode='random', num_frames={frames}),
        dict(type='AlignAudioToFrames'), *images, pack]))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(data, test_mode=True, pipeline=[*clip, pack]))
test_evaluator = dict(type='RetrievalMetric',
                      frame_aggregation='diagonal_mean')
test_cfg = dict(type='TestLoop')
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_epochs=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, save_best=None),
                     logger=dict(interval=1))
randomness = dict(seed=0)
'''

# Finetuning from the pretraining checkpoint: the clip of 4 frames and
# their segments, the two global tokens of each frame side by side (64),
# a class token attending to the 4 frames; single label, top-1 accuracy.
FINETUNE_CONFIG = '''
_base_ = [{pretrain!r}]
model = dict(
    _delete_=True,
    type='CAVMAESyncRecognizer',
    backbone=dict(type='CAVMAESyncEncoder', embed_dim=32, depth=3,
                  modality_specific_depth=2, num_heads=4,
                  num_register_tokens=2, trainable_pos_embed=True),
    cls_head=dict(type='CAVMAEFrameAttentionHead', num_classes=3,
                  in_channels=64, num_frames={frames}, num_heads=2,
                  loss_cls=dict(type='CrossEntropyLoss'),
                  average_clips='prob'),
    init_cfg=dict(type='Pretrained', checkpoint={checkpoint!r}))
labelled = dict(_base_.data, multi_label=False)
train_dataloader = dict(dataset=dict(
    _delete_=True, **labelled,
    pipeline=[*_base_.clip, dict(type='EncodeLabels'), _base_.pack]))
test_dataloader = dict(dataset=dict(
    _delete_=True, **labelled, test_mode=True,
    pipeline=[*_base_.clip, dict(type='EncodeLabels', as_index=True),
              _base_.pack]))
test_evaluator = dict(_delete_=True, type='AccMetric',
                      metric_list=('top_k_accuracy', ),
                      metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
train_cfg = dict(max_epochs=1)
'''

RETRIEVAL_KEYS = {
    f'retrieval/{d}_{k}'
    for d in ('a2v', 'v2a')
    for k in ('R@1', 'R@5', 'R@10', 'MedR')
}


@pytest.fixture(scope='module')
def sync_data(tmp_path_factory) -> Path:
    """The synthetic set (3 classes x 2 clips of 1.5 s) with audio and 4
    frames per clip extracted by the tools (at the official 224 px, so that
    raw videos embed as the extracted files)."""
    extract_audio = load_tool('tools/data/extract_audio.py')
    extract_frames = load_tool('tools/data/extract_frames.py')
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('sync_synthetic')
    assert make_synthetic.main([
        str(out), '--num-classes', '3', '--per-class', '2', '--seconds', '1.5',
        '--size', '48'
    ]) == 0
    assert extract_audio.main([str(out / 'videos'), str(out / 'audio')]) == 0
    assert extract_frames.main([
        str(out / 'videos'),
        str(out / 'frames'), '--num-frames',
        str(FRAMES)
    ]) == 0
    assert len(list(out.glob('frames/frame_*/*.jpg'))) == 6 * FRAMES
    return out


@pytest.fixture(scope='module')
def sync_config(sync_data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp('sync_cfg') / 'tiny_sync.py'
    path.write_text(
        SYNC_CONFIG.format(
            base=str(ROOT / 'configs/_base_/default_runtime.py'),
            schedule=str(ROOT / 'configs/_base_/schedules/adam_multistep.py'),
            root=str(sync_data),
            frames=FRAMES))
    return path


@pytest.fixture(scope='module')
def pretrained(sync_config, tmp_path_factory) -> Path:
    """The work dir of 2 pretraining epochs straight (torch on one thread,
    as the resumed run it is compared with)."""
    work = tmp_path_factory.mktemp('sync_pretrain')
    with one_thread():
        train_tool.main([str(sync_config), '--work-dir', str(work)])
    return work


def logged(work: Path) -> str:
    return '\n'.join(log.read_text() for log in work.glob('*/*.log'))


def test_pretraining_writes_checkpoints_with_finite_losses(
        sync_config, pretrained):
    from cavmae_mm.config import load_config

    # the sizes reach the Sync encoder through its **kwargs
    backbone = load_config(str(sync_config)).model.backbone
    assert (backbone.target_length, backbone.num_mel_bins,
            backbone.frame_size) == (32, 32, 32)
    assert (pretrained / 'epoch_1.pth').is_file()
    assert (pretrained / 'epoch_2.pth').is_file()
    (scalars, ) = pretrained.glob('*/vis_data/scalars.json')
    steps = [json.loads(line) for line in scalars.read_text().splitlines()]
    steps = [s for s in steps if 'loss' in s]
    assert len(steps) == 6  # 2 epochs x 3 iterations of 2 clips
    for step in steps:
        for key in ('loss', 'loss_mae_a', 'loss_mae_v', 'loss_c'):
            assert math.isfinite(step[key]) and step[key] > 0, (key, step)
    state = torch.load(
        pretrained / 'epoch_2.pth', map_location='cpu',
        weights_only=True)['state_dict']
    assert state['backbone.register_tokens'].shape == (4, 32)
    assert state['backbone.cls_token_a'].shape == (1, 1, 32)
    assert all(torch.isfinite(v).all() for v in state.values())


def test_resumed_pretraining_ends_as_the_straight_run(sync_config, pretrained,
                                                      tmp_path):
    """1 epoch, then --resume to epoch 2: the weights and optimizer state
    of the 2 epochs straight, to the bit (the random frame choice, the
    masks and the sampler order restored)."""
    work = tmp_path / 'work'
    with one_thread():
        train_tool.main([
            str(sync_config), '--work-dir',
            str(work), '--cfg-options', 'train_cfg.max_epochs=1'
        ])
        assert not (work / 'epoch_2.pth').exists()
        train_tool.main(
            [str(sync_config), '--work-dir',
             str(work), '--resume'])
    assert 'restored the random state of 1 rank' in logged(work)
    assert_bit_identical(pretrained / 'epoch_2.pth', work / 'epoch_2.pth')


@pytest.fixture(scope='module')
def finetuned(sync_config, pretrained, tmp_path_factory) -> tuple:
    """(config, work dir) of 1 finetuning epoch of the clip classifier
    from the pretraining checkpoint."""
    folder = tmp_path_factory.mktemp('sync_finetune')
    config = folder / 'tiny_sync_ft.py'
    config.write_text(
        FINETUNE_CONFIG.format(
            pretrain=str(sync_config),
            checkpoint=str(pretrained / 'epoch_2.pth'),
            frames=FRAMES))
    work = folder / 'work'
    train_tool.main([str(config), '--work-dir', str(work)])
    return config, work


def test_finetune_clip_classifier_from_pretraining_and_test(
        pretrained, finetuned, tmp_path):
    config, work = finetuned
    log = logged(work)
    assert 'initialised CAVMAESyncRecognizer from ' \
        f'{pretrained / "epoch_2.pth"}' in log
    assert 'loss_cls' in log
    state = torch.load(
        work / 'epoch_1.pth', map_location='cpu',
        weights_only=True)['state_dict']
    assert state['cls_head.cls_token'].shape == (1, 1, 64)
    assert not any(k.startswith('neck.') for k in state)
    metrics = test_tool.main([
        str(config),
        str(work / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'ft_test')
    ])
    assert set(metrics) == {'acc/top1'}
    assert 0 <= metrics['acc/top1'] <= 1


def test_infer_classifies_raw_videos_as_clips(finetuned, sync_data, tmp_path):
    """tools/infer.py with the finetuned clip classifier: each video's 4
    frames and their audio segments; an audio file cannot stand in for
    the clip (the head reads both global tokens of every frame), an error
    of its own."""
    config, work = finetuned
    out = tmp_path / 'results.json'
    code = load_tool('tools/infer.py').main([
        str(sync_data / 'videos'),
        str(sync_data / 'audio' / 'c0_000.wav'), '--config',
        str(config), '--checkpoint',
        str(work / 'epoch_1.pth'), '--out',
        str(out), '--batch-size', '4', '--no-progress'
    ])
    assert code == 1
    result = json.loads(out.read_text())
    assert [r['modality'] for r in result['results']] == ['audio_visual'] * 6
    assert sum(p['score'] for p in result['results'][0]['predictions']) == \
        pytest.approx(1, abs=1e-5)
    (error, ) = result['errors']
    assert 'c0_000.wav: the model classifies frames' in error['error']


def test_retrieval_over_the_frames_of_each_clip(sync_config, pretrained,
                                                tmp_path):
    """tools/test.py scores clips by the mean over frames of the cosine of
    frame k's visual and audio global tokens: the same numbers as the
    extracted per-frame features ranked by that similarity."""
    from cavmae_mm.evaluation.functional import (frame_similarity, recall_at_k,
                                                 retrieval_ranks)
    metrics = test_tool.main([
        str(sync_config),
        str(pretrained / 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'test')
    ])
    assert set(metrics) == RETRIEVAL_KEYS
    out = tmp_path / 'feats.pt'
    assert features_tool.main([
        str(sync_config),
        str(pretrained / 'epoch_2.pth'), '--out',
        str(out), '--features', 'audio', 'visual'
    ]) == 0
    feats = torch.load(out, weights_only=True)
    similarity = frame_similarity(feats['audio'], feats['visual'],
                                  'diagonal_mean').numpy()
    for name, sim in (('a2v', similarity), ('v2a', similarity.T)):
        for key, value in recall_at_k(retrieval_ranks(sim),
                                      (1, 5, 10)).items():
            assert metrics[f'retrieval/{name}_{key}'] == \
                pytest.approx(value), (name, key)


@pytest.fixture(scope='module')
def sync_model(sync_config, pretrained):
    from cavmae_mm.apis import init_model
    return init_model(str(sync_config), str(pretrained / 'epoch_2.pth'))


def test_extracted_features_are_the_per_frame_retrieval_features(
        sync_config, pretrained, sync_model, sync_data, tmp_path):
    """extract_features.py (datalist and raw videos): per clip the global
    token of each of its 4 frames, [6, 4, 32], as the model's retrieval
    features; the joint path mean-pooled per frame."""
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import Runner
    offline = tmp_path / 'offline.pt'
    assert features_tool.main([
        str(sync_config),
        str(pretrained / 'epoch_2.pth'), '--out',
        str(offline), '--batch-size', '4'
    ]) == 0
    feats = torch.load(offline, weights_only=True)
    assert feats['video_id'] == [
        f'c{c}_00{i}' for c in range(3) for i in (0, 1)
    ]
    for name in ('audio', 'visual', 'joint'):
        assert feats[name].shape == (6, FRAMES, 32), name

    dataset = Runner.build_dataloader(sync_model.cfg.test_dataloader).dataset
    batch = sync_model.data_preprocessor(
        pseudo_collate([dataset[0], dataset[1]]))
    assert batch['inputs']['audios'].shape == (2, FRAMES, 32, 32)
    assert batch['inputs']['imgs'].shape == (2, FRAMES, 3, 32, 32)
    with torch.no_grad():
        audio, visual = sync_model.retrieval_features(batch['inputs'])
    assert torch.allclose(feats['audio'][:2], audio, atol=1e-5)
    assert torch.allclose(feats['visual'][:2], visual, atol=1e-5)

    raw = tmp_path / 'raw.pt'
    assert features_tool.main([
        str(sync_config),
        str(pretrained / 'epoch_2.pth'), '--out',
        str(raw), '--inputs',
        str(sync_data / 'videos'), '--window', '10'
    ]) == 0
    raw = torch.load(raw, weights_only=True)
    assert [Path(p).stem for p in raw['video_id']] == feats['video_id']
    for name in ('audio', 'visual', 'joint'):
        cosine = F.cosine_similarity(raw[name], feats[name], dim=-1)
        assert cosine.min() > 0.999, name


def test_search_with_per_frame_features(sync_config, pretrained, sync_model,
                                        sync_data, tmp_path, capsys):
    """av_search with the Sync model, on raw videos and on an index built
    by extract_features.py: an audio query's 4 segments against each
    clip's 4 frames, frame by frame (diagonal_mean, as the retrieval
    metric); an image against each clip's 4 audio segments; a video both
    ways."""
    from functools import partial

    from cavmae_mm import apis

    # one window per file (the tiny model's clip is 1.28 s): a row per clip
    av_search = partial(apis.av_search, window=10.0)
    embed_files = partial(apis.embed_files, window=10.0)
    from cavmae_mm.evaluation.functional import frame_similarity
    videos = sync_data / 'videos'
    gallery = embed_files(sync_model, videos, ('audio', 'visual'))
    assert gallery['visual'].shape == (6, FRAMES, 32)

    audio_query = sync_data / 'audio' / 'c1_000.wav'
    found = av_search(sync_model, videos, str(audio_query), topk=None)
    assert found['query_modalities'] == ['audio']
    assert found['frame_aggregation'] == 'diagonal_mean'
    query = embed_files(sync_model, [audio_query], ('audio', ))['audio'][0]
    assert query.shape == (FRAMES, 32)
    expected = frame_similarity(query[None], gallery['visual'])[0]
    order = expected.argsort(descending=True).tolist()
    assert [m['input'] for m in found['matches']] == \
        [gallery['video_id'][i] for i in order]
    assert [m['score'] for m in found['matches']] == pytest.approx(
        expected[order].tolist(), abs=1e-5)

    # one image: its cosines with a clip's 4 audio segments, averaged (or
    # the best one with diagonal_max)
    image = sync_data / 'frames' / 'frame_2' / 'c2_000.jpg'
    found = av_search(sync_model, videos, str(image), topk=None)
    assert found['query_modalities'] == ['visual']
    from cavmae_mm.apis.features import embed_samples, raw_loader_for
    sample = raw_loader_for(sync_model, ('visual', )).load_image(str(image))
    frame = embed_samples(sync_model, [sample], ('visual', ))['visual'][0]
    cosines = F.normalize(gallery['audio'], dim=-1) @ F.normalize(frame, dim=0)
    assert sorted(m['score'] for m in found['matches']) == pytest.approx(
        sorted(cosines.mean(dim=1).tolist()), abs=1e-5)
    best = av_search(
        sync_model,
        videos,
        str(image),
        topk=None,
        frame_aggregation='diagonal_max')
    assert best['frame_aggregation'] == 'diagonal_max'
    assert sorted(m['score'] for m in best['matches']) == pytest.approx(
        sorted(cosines.amax(dim=1).tolist()), abs=1e-5)

    # the tool, on an index of the gallery and on the videos themselves
    index = tmp_path / 'index.pt'
    assert features_tool.main([
        str(sync_config),
        str(pretrained / 'epoch_2.pth'), '--out',
        str(index), '--inputs',
        str(videos), '--features', 'audio', 'visual', '--window', '10'
    ]) == 0
    video = videos / 'c0_001.mp4'
    results = {}
    for name, source in (('index', index), ('videos', videos)):
        out = tmp_path / f'{name}.json'
        assert search_tool.main([
            str(source), '--query',
            str(video), '--config',
            str(sync_config), '--checkpoint',
            str(pretrained / 'epoch_2.pth'), '--topk', '6', '--out',
            str(out), '--window', '10'
        ]) == 0
        results[name] = json.loads(out.read_text())
    assert 'frames: diagonal_mean' in capsys.readouterr().out
    assert results['index']['query_modalities'] == ['audio', 'visual']
    assert [m['input'] for m in results['index']['matches']] == \
        [m['input'] for m in results['videos']['matches']]
    q = embed_files(sync_model, [video], ('audio', 'visual'))
    both = (frame_similarity(q['audio'], gallery['visual'])[0] +
            frame_similarity(q['visual'], gallery['audio'])[0]) / 2
    assert [m['score'] for m in results['index']['matches']] == \
        pytest.approx(sorted(both.tolist(), reverse=True), abs=1e-5)


def test_search_index_errors(sync_model, sync_data, tmp_path):
    from cavmae_mm.apis import av_search
    query = str(sync_data / 'audio' / 'c0_000.wav')
    with pytest.raises(FileNotFoundError, match='index file not found'):
        av_search(sync_model, tmp_path / 'missing.pt', query)
    audio_only = dict(video_id=['a'], audio=torch.zeros(1, FRAMES, 32))
    with pytest.raises(ValueError, match='has no visual embeddings'):
        av_search(sync_model, audio_only, query)
    other = dict(video_id=['a'], visual=torch.zeros(1, FRAMES, 48))
    with pytest.raises(ValueError, match='does not fit the gallery'):
        av_search(sync_model, other, query)
    with pytest.raises(ValueError, match='frame_aggregation must be one of'):
        av_search(
            sync_model, sync_data / 'videos', query, frame_aggregation='sum')


def test_frame_aggregations_restated_in_the_tool_are_the_packages():
    from cavmae_mm.evaluation.functional import FRAME_AGGREGATIONS
    assert search_tool.FRAME_AGGREGATIONS == FRAME_AGGREGATIONS


def test_raw_pipelines_align_audio_to_the_chosen_frames():
    """Raw files through a Sync test pipeline: the audio steps end with
    AlignAudioToFrames, cut at the slots the frame choice will read; a
    random choice (unknown before the video is read) and an alignment
    before any frame choice are refused."""
    from cavmae_mm.datasets.raw_media_dataset import (RawMediaLoader,
                                                      split_test_pipeline)
    front = dict(type='AudioFrontEnd', target_length=32, clip_length=128)
    align = dict(type='AlignAudioToFrames', target_length=32)
    choice = dict(type='SelectFrames', mode='all', num_frames=FRAMES)
    steps = split_test_pipeline([
        dict(type='LoadAudio'), front, choice, align,
        dict(type='LoadFrames')
    ])
    assert [s['type'] for s in steps.audio] == \
        ['DecodeAudio', 'AudioFrontEnd', 'AlignAudioToFrames']
    assert steps.visual == [
        dict(type='DecodeOfficialFrames', mode='all', num_frames=FRAMES)
    ]
    loader = RawMediaLoader([dict(type='LoadAudio'), front, choice, align],
                            'audio_visual')
    assert loader.aligns_audio
    assert loader._audio_start('x.mp4') == dict(
        filename='x.mp4', frame_slots=[0, 1, 2, 3], num_frames=FRAMES)
    with pytest.raises(ValueError, match='before a frame choice'):
        split_test_pipeline([dict(type='LoadAudio'), front, align, choice])
    with pytest.raises(ValueError, match='after a random frame choice'):
        RawMediaLoader([
            dict(type='LoadAudio'), front,
            dict(choice, mode='random'), align
        ], 'audio_visual')
