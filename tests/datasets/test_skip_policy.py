"""on_error='skip' in every training recipe, for every kind of bad datum.

The recipes' own train loaders (the mixup wrapper forced on and off, the
pretraining dataset, the device-side fbank variant) are built by MMEngine on
a copy of the synthetic set in which one clip is spoiled; the replacement
must be a complete packed sample, recorded, logged once and counted by
``ReplacedSamplesHook`` across data loader workers.
"""
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from cavmae_mm.config import load_config
from cavmae_mm.datasets import DatumError
from cavmae_mm.engine.hooks import ReplacedSamplesHook
from tests.datasets.helpers import write_tone
from tests.helpers import logged_lines
from tests.media_fixtures import write_video

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
BAD = 'c1_000'  # datum 2 of the synthetic datalist


def _wav(root):
    return root / 'audio' / f'{BAD}.wav'


def _frames(root):
    return sorted((root / 'frames').glob(f'frame_*/{BAD}.jpg'))


def _write(path, wave, subtype='PCM_16'):
    soundfile.write(path, wave, 16000, subtype=subtype)


def _nan_wave():
    wave = np.full(16000, 0.1, np.float32)
    wave[50:60] = np.nan
    return wave


SPOIL = {
    'missing':
    lambda r: _wav(r).unlink(),
    'empty':
    lambda r: _wav(r).write_bytes(b''),
    'truncated':
    lambda r: _wav(r).write_bytes(_wav(r).read_bytes()[:30]),
    'not_audio':
    lambda r: _wav(r).write_bytes(b'<html>not audio</html>' * 40),
    'wrong_rate':
    lambda r: write_tone(_wav(r), rate=8000),
    'stereo':
    lambda r: write_tone(_wav(r), channels=2),
    'too_short':
    lambda r: _write(_wav(r), np.full(100, 0.1)),
    'nan':
    lambda r: _write(_wav(r), _nan_wave(), 'FLOAT'),
    'missing_frames':
    lambda r: [p.unlink() for p in _frames(r)],
    'corrupt_jpeg':
    lambda r: [p.write_bytes(b'\xff\xd8garbage') for p in _frames(r)],
}

# recipe -> (config, mixup rate forced, or None for no wrapper)
RECIPES = {
    'finetune-mixed': ('cavmae-ft_as20k.py', 1.0),
    'finetune-unmixed': ('cavmae-ft_as20k.py', 0.0),
    'pretrain': ('cavmae_as2m.py', None),
    'device-fbank': ('cavmae-ft_as20k-gpufbank.py', 1.0),
    'finetune-videos': ('cavmae-ft_as20k-videos.py', 1.0),
}


def _video(root):
    return root / 'videos' / f'{BAD}.mp4'


# bad video files, for the recipes that read them on the fly
SPOIL_VIDEO = {
    'missing': lambda r: _video(r).unlink(),
    'empty': lambda r: _video(r).write_bytes(b''),
    'truncated':
    lambda r: _video(r).write_bytes(_video(r).read_bytes()[:2000]),
    'not_video': lambda r: _video(r).write_bytes(b'<html>no</html>' * 80),
    'no_audio_track': lambda r: write_video(_video(r), audio=None),
}


@pytest.fixture
def spoiled(synthetic, tmp_path, request):
    root = tmp_path / 'set'
    shutil.copytree(synthetic, root, ignore=shutil.ignore_patterns('videos'))
    SPOIL[request.param](root)
    return root


@pytest.fixture
def spoiled_videos(synthetic, tmp_path, request):
    """The synthetic clips as a datalist of video files, one spoiled."""
    root = tmp_path / 'set'
    shutil.copytree(synthetic, root)
    data = json.loads((root / 'datalist.json').read_text())['data']
    videos = [
        dict(
            video_id=d['video_id'],
            labels=d['labels'],
            video_path=f'videos/{d["video_id"]}.mp4') for d in data
    ]
    (root / 'datalist.json').write_text(json.dumps(dict(data=videos)))
    SPOIL_VIDEO[request.param](root)
    return root


def train_loader(root, recipe, workers=0, on_error='skip'):
    config, prob = RECIPES[recipe]
    cfg = load_config(str(CONFIGS / config)).train_dataloader
    cfg.update(
        batch_size=2,
        num_workers=workers,
        persistent_workers=False,
        pin_memory=False,
        sampler=dict(type='DefaultSampler', shuffle=True))
    inner = cfg.dataset.get('dataset', cfg.dataset)
    inner.update(
        data_root=str(root),
        ann_file='datalist.json',
        label_file='labels.csv',
        on_error=on_error)
    if prob is not None:
        (mixup, ) = [
            t for t in cfg.dataset.pipeline if t['type'] == 'AudioVisualMixup'
        ]
        mixup.prob = prob
    with DefaultScope.overwrite_default_scope('cavmae_mm'):
        return Runner.build_dataloader(cfg, seed=0)


def run_epochs(loader, hook, epochs=2):
    """Feeds the loader's batches to the hook as a training loop would;
    returns the samples and the records they carry."""
    runner = SimpleNamespace(
        logger=MMLogger.get_current_instance(),
        train_dataloader=loader,
        epoch=0,
        message_hub=MessageHub.get_current_instance())
    samples, records = [], []
    for epoch in range(epochs):
        runner.epoch = epoch
        loader.sampler.set_epoch(epoch)
        for i, batch in enumerate(loader):
            hook.after_train_iter(runner, i, batch)
            inputs = batch['inputs']  # pseudo_collate: a dict of lists
            # fbank, or the device-fbank recipe's waveforms
            audios = inputs.get('audios', inputs.get('waveforms'))
            for audio, imgs, sample in zip(audios, inputs['imgs'],
                                           batch['data_samples']):
                samples.append((dict(audios=audio, imgs=imgs), sample))
                records += sample.metainfo.get('replaced', [])
        hook.after_train_epoch(runner)
    return samples, records


def assert_complete(samples, recipe):
    for inputs, sample in samples:
        assert sample.metainfo['video_id'] != BAD
        audio = inputs['audios']
        if recipe == 'device-fbank':
            assert audio.dim() == 1 and audio.numel() >= 400
        else:
            assert audio.shape == (1024, 128)
        assert torch.isfinite(audio).all()
        assert inputs['imgs'].shape[-3:] == (3, 224, 224)
        if recipe != 'pretrain':
            assert sample.gt_label.shape == (3, )


@pytest.mark.parametrize('spoiled', sorted(SPOIL), indirect=True)
def test_every_kind_of_bad_datum_is_replaced_when_mixing(spoiled):
    loader = train_loader(spoiled, 'finetune-mixed')
    hook = ReplacedSamplesHook(max_fraction=1.0)
    with logged_lines() as lines:
        samples, records = run_epochs(loader, hook)
    assert len(samples) == 12
    assert_complete(samples, 'finetune-mixed')
    # the bad clip is asked for as the first clip once per epoch (and maybe
    # drawn as a partner); every record names it and its datalist
    assert len(records) >= 2 and hook.total_count == len(records)
    for record in records:
        assert record['datum'].endswith(f'datalist.json: datum 2 ({BAD})')
        assert BAD in record['reason']
    warnings = [line for line in lines if 'replaced unreadable datum' in line]
    assert len(warnings) == 1 and BAD in warnings[0]


@pytest.mark.parametrize('recipe', sorted(set(RECIPES) - {'finetune-videos'}))
@pytest.mark.parametrize(
    'spoiled', ['too_short', 'corrupt_jpeg'], indirect=True)
def test_every_recipe_replaces_through_workers(spoiled, recipe):
    """Two data loader workers: each epoch's bad datum is replaced once (the
    mixup partner of a clip that fails after mixing is drawn anew with it)
    and the count crosses the worker processes."""
    loader = train_loader(spoiled, recipe, workers=2)
    hook = ReplacedSamplesHook(max_fraction=1.0)
    samples, records = run_epochs(loader, hook)
    assert len(samples) == 12
    assert_complete(samples, recipe)
    if RECIPES[recipe][1] in (None, 0.0):
        assert len(records) == 2  # once per epoch, never the same datum
    else:
        assert len(records) >= 2
    assert hook.total_count == len(records)
    assert all(BAD in r['reason'] for r in records)


@pytest.mark.parametrize('spoiled_videos', sorted(SPOIL_VIDEO), indirect=True)
def test_every_kind_of_bad_video_is_replaced(spoiled_videos):
    """The recipe straight from video files: a video that is missing,
    empty, truncated, not a video or without an audio track is replaced
    (and named) like a bad extracted clip."""
    loader = train_loader(spoiled_videos, 'finetune-videos')
    hook = ReplacedSamplesHook(max_fraction=1.0)
    samples, records = run_epochs(loader, hook, epochs=1)
    assert len(samples) == 6
    assert_complete(samples, 'finetune-videos')
    assert len(records) >= 1 and hook.total_count == len(records)
    assert all(f'{BAD}.mp4' in r['reason'] for r in records)
    with pytest.raises(DatumError, match=rf'datum 2 \({BAD}\).*{BAD}.mp4'):
        train_loader(
            spoiled_videos, 'finetune-videos', on_error='raise').dataset[2]


@pytest.mark.parametrize('recipe', ['finetune-mixed', 'device-fbank'])
@pytest.mark.parametrize('spoiled', ['too_short'], indirect=True)
def test_error_after_the_mix_names_datalist_datum_and_file(spoiled, recipe):
    """Raised by the pipeline after mixing, without the skip policy: a
    DatumError with the datalist, the datum, the file and the partner."""
    loader = train_loader(spoiled, recipe, on_error='raise')
    with pytest.raises(DatumError) as info:
        loader.dataset[2]
    message = str(info.value)
    assert f'datalist.json: datum 2 ({BAD})' in message
    assert f'{BAD}.wav' in message and '100 samples' in message
    assert 'mixed with datum' in message


@pytest.mark.parametrize('spoiled', ['missing'], indirect=True)
def test_too_many_replacements_stop_the_run(spoiled):
    loader = train_loader(spoiled, 'finetune-unmixed')
    with pytest.raises(
            RuntimeError, match=r'1 of 6 samples of epoch 1.*'
            r'max_fraction=0.1'):
        run_epochs(loader, ReplacedSamplesHook(max_fraction=0.1))
    # 1 of 6 is within a limit of 0.2
    run_epochs(loader, ReplacedSamplesHook(max_fraction=0.2), epochs=1)
    with pytest.raises(ValueError, match='max_fraction'):
        ReplacedSamplesHook(max_fraction=1.5)


def test_every_recipe_counts_replacements_by_default():
    runtime = load_config(str(CONFIGS / '_base_/default_runtime.py'))
    assert runtime.default_hooks.replaced_samples.type == \
        'ReplacedSamplesHook'


def test_fetch_or_replace_records_and_raises():
    """Never the failed index again; the record is plain data; 'raise'
    gives the reason."""
    from cavmae_mm.datasets.skip_policy import fetch_or_replace

    calls = []

    def prepare(idx):
        calls.append(idx)
        if idx == 0:
            raise OSError('cannot read')
        return dict(value=idx)

    out = fetch_or_replace(
        prepare, 0, 3, lambda i, e: (f'x: datum {i}', f'x: datum {i}: {e}'),
        'skip', 5)
    assert out['value'] in (1, 2) and calls[0] == 0
    assert out['replaced'] == [
        dict(datum='x: datum 0', reason='x: datum 0: cannot read')
    ]
    with pytest.raises(DatumError, match='x: datum 0: cannot read'):
        fetch_or_replace(prepare, 0, 3, lambda i, e: ('d', f'x: datum {i}: '
                                                      f'{e}'), 'raise', 5)
    json.dumps(out['replaced'])  # plain data: crosses worker processes
