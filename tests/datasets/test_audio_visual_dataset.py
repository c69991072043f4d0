"""AudioVisualDataset: datalist parsing, errors, skip policy, training."""
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from cavmae_mm.datasets import AudioVisualDataset, DatumError
from cavmae_mm.models.data_preprocessors import AVDataPreprocessor
from tests.datasets.helpers import tiny_pipeline
from tests.helpers import TINY, tiny_pretrain_cfg


def make(root, **kwargs):
    return AudioVisualDataset(
        ann_file=str(root / 'data.json'),
        label_file='labels.csv',
        data_root=str(root),
        **kwargs)


def test_reads_datalist_and_labels(datalist):
    ds = make(datalist, pipeline=tiny_pipeline(test=True), test_mode=True)
    assert len(ds) == 4
    assert ds.metainfo['classes'] == ('Tone, low', 'Tone high', 'Noise')
    assert ds.metainfo['num_classes'] == 3
    info = ds.get_data_info(1)
    assert info['audio_path'] == str(datalist / 'audio' / 'clip1.wav')
    assert info['label_indices'] == [1, 2]
    batch = pseudo_collate([ds[1], ds[2]])
    out = AVDataPreprocessor()(batch)
    assert out['inputs']['audios'].shape == (2, 64, 32)
    assert out['inputs']['imgs'].shape == (2, 3, 32, 32)
    label = out['data_samples'][0].gt_label
    assert label.dtype == torch.float32
    assert torch.allclose(label, torch.tensor([0.1 / 3, 0.9, 0.9]))


@pytest.mark.parametrize('content,match', [
    ('{"data": [', 'malformed JSON'),
    ('{"data": []}', 'the datalist is empty'),
    ('[1, 2]', 'expected {"data"'),
    ('{"data": [{"wav": "a.wav"}]}', 'datum 0 lacks'),
    ('{"data": [{"wav": "a.wav", "labels": "/m/zzz", "video_id": "a", '
     '"video_path": "f"}]}', "label '/m/zzz'"),
])
def test_bad_datalists_name_the_file(datalist, content, match):
    (datalist / 'data.json').write_text(content)
    with pytest.raises(ValueError, match=match) as err:
        make(datalist)
    assert 'data.json' in str(err.value)


def test_bad_label_files(datalist):
    (datalist / 'labels.csv').write_text('id,name\n0,x\n')
    with pytest.raises(ValueError, match='lacks columns'):
        make(datalist)
    (datalist / 'labels.csv').unlink()
    with pytest.raises(FileNotFoundError, match='labels.csv'):
        make(datalist)


def test_single_label_dataset_rejects_multi_label_datum(datalist):
    with pytest.raises(ValueError, match='single-label'):
        make(datalist, multi_label=False)


def test_unreadable_sample_raises_with_file_index_and_reason(datalist):
    (datalist / 'audio' / 'clip2.wav').unlink()
    ds = make(datalist, pipeline=tiny_pipeline())
    with pytest.raises(DatumError, match=r'datum 2 \(clip2\).*clip2.wav'):
        ds[2]


def test_skip_policy_replaces_and_records(datalist):
    (datalist / 'audio' / 'clip2.wav').write_bytes(b'garbage')
    ds = make(datalist, pipeline=tiny_pipeline(), on_error='skip')
    data = ds[2]
    assert data['data_samples'].metainfo['video_id'] != 'clip2'
    replaced = data['data_samples'].metainfo['replaced']
    assert len(replaced) == 1 and 'clip2.wav' in replaced[0]['reason']
    assert 'replaced' not in ds[0]['data_samples'].metainfo
    with pytest.raises(ValueError, match='training data only'):
        make(datalist, on_error='skip', test_mode=True)
    with pytest.raises(ValueError, match='on_error'):
        make(datalist, on_error='zero_fill')


def test_training_with_skips_reports_each_epoch(datalist, tmp_path):
    (datalist / 'audio' / 'clip3.wav').write_bytes(b'garbage')
    runner = Runner(
        model=tiny_pretrain_cfg(),
        work_dir=str(tmp_path / 'work'),
        experiment_name='skips',
        train_dataloader=dict(
            dataset=dict(
                type='AudioVisualDataset',
                ann_file=str(datalist / 'data.json'),
                label_file='labels.csv',
                data_root=str(datalist),
                pipeline=tiny_pipeline(),
                on_error='skip'),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        custom_hooks=[dict(type='ReplacedSamplesHook', max_fraction=0.5)],
        default_hooks=dict(checkpoint=None),
        default_scope='cavmae_mm')
    runner.train()
    hook = [
        h for h in runner.hooks if type(h).__name__ == 'ReplacedSamplesHook'
    ][0]
    # clip3 is asked for once per epoch and replaced by another clip
    assert hook.total_count == 2
    assert runner.message_hub.get_info('replaced_samples') >= 1


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_audio_is_a_datum_error(datalist, bad):
    """NaN / infinite samples would turn the whole fbank non-finite: the
    clip is refused with its file, in evaluation and through the mixup
    wrapper of training, never loaded."""
    import numpy as np
    import soundfile

    from cavmae_mm.datasets import AudioVisualMixupDataset
    wave = np.full(8000, 0.1, np.float32)
    wave[100:104] = bad
    soundfile.write(
        datalist / 'audio' / 'clip1.wav', wave, 16000, subtype='FLOAT')
    ds = make(datalist, pipeline=tiny_pipeline(test=True))
    with pytest.raises(
            DatumError,
            match=r'datum 1 \(clip1\).*clip1.wav.*'
            r'4 NaN or infinite samples'):
        ds[1]
    inner = make(
        datalist,
        pipeline=tiny_pipeline()[:1] + [
            dict(type='SelectFrames', mode='random'),
            dict(type='LoadFrames'),
            dict(type='ResizeCenterCrop', frame_size=TINY['frame_size'])
        ])
    mixed = AudioVisualMixupDataset(
        dataset=inner,
        pipeline=[
            dict(type='AudioVisualMixup', prob=1.0),
            dict(type='EncodeLabels', num_classes=3, label_smooth=0.1)
        ] + tiny_pipeline()[1:4] + [tiny_pipeline()[-1]])
    with pytest.raises(DatumError, match='clip1.wav'):
        mixed[1]
