"""Every official recipe's config against the values of the official
training scripts (the RECIPES table below; the README's recipe table names
the scripts)."""
from pathlib import Path

import pytest
import torch

from cavmae_mm.config import load_config
from cavmae_mm.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
GPUS = 4  # the official runs; batch_size in the configs is per GPU

# name: (lr, epochs, global batch, first decay, decay every, head lr_mult,
#        balanced sampling, finetune?, loss, modality)
RECIPES = {
    'cavmae_as2m': (2e-4, 25, 256, 10, 5, None, False, False, None, None),
    'cavmae-base_as2m': (5e-5, 25, 48, 10, 5, None, False, False, None, None),
    'cavmae-scale+_as2m':
    (1e-4, 25, 120, 10, 5, None, False, False, None, None),
    'cavmae_vggsound': (1e-4, 25, 120, 10, 5, None, False, False, None, None),
    'cavmae_vggsound-from-as2m':
    (5e-5, 10, 120, 10, 5, None, False, False, None, None),
    'cavmae-ft_as2m': (1e-5, 10, 48, 2, 1, 50.0, True, True,
                       'BCELossWithLogits', 'audio_visual'),
    'cavmae-ft_as2m-audioonly':
    (1e-5, 10, 48, 2, 1, 50.0, True, True, 'BCELossWithLogits', 'audio'),
    'cavmae-ft_as20k': (5e-5, 15, 36, 5, 1, 100.0, False, True,
                        'BCELossWithLogits', 'audio_visual'),
    'cavmae-ft_as20k-audioonly':
    (5e-5, 15, 36, 5, 1, 100.0, False, True, 'BCELossWithLogits', 'audio'),
    'cavmae-ft_as20k-videoonly': (5e-5, 15, 36, 5, 1, 100.0, False, True,
                                  'BCELossWithLogits', 'visual'),
    'cavmae-ft_vggsound': (1e-4, 10, 48, 2, 1, 10.0, True, True,
                           'CrossEntropyLoss', 'audio_visual'),
    'cavmae-ft_vggsound-audioonly': (1e-4, 10, 48, 2, 1, 10.0, True, True,
                                     'CrossEntropyLoss', 'audio'),
}


def transforms(dataloader):
    dataset = dataloader.dataset
    inner = dataset.get('dataset', dataset)
    return {
        t['type']: t
        for t in list(inner.pipeline) +
        list(dataset.get('pipeline', []) if 'dataset' in dataset else [])
    }


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipe_matches_the_official_script(name):
    (lr, epochs, batch, start, step, head_lr, balanced, finetune, loss,
     modality) = RECIPES[name]
    cfg = load_config(str(CONFIGS / f'{name}.py'))
    opt = cfg.optim_wrapper
    assert opt.type == 'AmpOptimWrapper'
    assert opt.optimizer.type == 'Adam' and opt.optimizer.lr == lr
    assert tuple(opt.optimizer.betas) == (0.95, 0.999)
    assert opt.optimizer.weight_decay == 5e-7
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_cfg.type == 'ResumableEpochBasedTrainLoop'
    assert cfg.train_dataloader.batch_size * GPUS == batch
    assert cfg.train_dataloader.drop_last is True  # as the official loaders
    assert cfg.auto_scale_lr.base_batch_size == batch
    (scheduler, ) = cfg.param_scheduler
    assert scheduler.type == 'MultiStepLR' and scheduler.gamma == 0.5
    official = [m for m in range(start, 1000, step) if m < epochs]
    assert [m for m in scheduler.milestones if m < epochs] == official
    custom = opt.get('paramwise_cfg', {}).get('custom_keys', {})
    assert custom.get('cls_head', {}).get('lr_mult') == head_lr
    assert (cfg.train_dataloader.sampler.type == 'BalancedSampler') == \
        balanced
    steps = transforms(cfg.train_dataloader)
    frontend = steps['AudioFrontEnd']
    assert frontend['noise'] is True  # noise=True in every recipe
    assert frontend['mean'] == -5.081
    assert frontend['std'] == 4.4849
    if finetune:
        assert cfg.train_dataloader.dataset.type == \
            'AudioVisualMixupDataset'
        assert steps['AudioVisualMixup']['prob'] == 0.5
        assert steps['AudioVisualMixup']['alpha'] == 10.0
        # stated once: the (mixed) target is encoded after mixing
        assert steps['EncodeLabels']['label_smooth'] == 0.1
        assert 'EncodeLabels' not in {
            t['type']
            for t in cfg.train_dataloader.dataset.dataset.pipeline
        }
        assert (frontend['freqm'], frontend['timem']) == (48, 192)
        assert cfg.model.cls_head.loss_cls.type == loss
        assert cfg.model.modality == modality
        assert cfg.model.backbone.trainable_pos_embed is True
        metric = cfg.val_evaluator.type
        assert metric == ('AudioSetMetric'
                          if loss == 'BCELossWithLogits' else 'AccMetric')
        # the best checkpoint is kept by the main metric
        assert cfg.default_hooks.checkpoint.save_best == (
            'audioset/mAP' if metric == 'AudioSetMetric' else 'acc/top1')
        assert cfg.default_hooks.checkpoint.rule == 'greater'
    else:
        assert frontend.get('freqm', 0) == frontend.get('timem', 0) == 0
        assert cfg.train_dataloader.dataset.type == 'AudioVisualDataset'
        assert cfg.model.reconstruction_head.norm_pix is True
        assert cfg.model.contrastive_head.loss_weight == 0.01
        assert cfg.model.mask_ratio_a == cfg.model.mask_ratio_v == 0.75
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.backbone.pos_embed_a.shape == (1, 512, 768)


def test_readme_lists_every_recipe():
    readme = (CONFIGS.parent / 'README.md').read_text()
    for name in RECIPES:
        assert f'configs/{name}.py' in readme, name


@pytest.mark.parametrize('name,ann', [
    ('cavmae-retrieval_as',
     'audioset_eval_5_per_class_for_retrieval_cleaned.json'),
    ('cavmae-retrieval_vggsound',
     'vgg_test_5_per_class_for_retrieval_cleaned.json'),
])
def test_retrieval_configs(name, ann, synthetic):
    from cavmae_mm.registry import DATASETS, METRICS
    cfg = load_config(str(CONFIGS / f'{name}.py'))
    assert cfg.get('train_dataloader') is None
    assert cfg.val_dataloader is None
    assert cfg.model.type == 'CAVMAE'
    dataset = cfg.test_dataloader.dataset
    assert dataset.ann_file == ann
    select = [t for t in dataset.pipeline if t['type'] == 'SelectFrames']
    assert select == [dict(type='SelectFrames', mode='fixed', frame_use=5)]
    assert type(METRICS.build(cfg.test_evaluator)).__name__ == \
        'RetrievalMetric'
    dataset.update(
        data_root=str(synthetic),
        ann_file='datalist.json',
        label_file='labels.csv')
    packed = DATASETS.build(dataset)[0]
    assert packed['data_samples'].metainfo['frame_inds'] == [5]


def test_linear_probe_config():
    cfg = load_config(str(CONFIGS / 'cavmae-lp_as20k.py'))
    assert cfg.model.freeze_backbone is True
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.cls_head.parameters())


def test_inpainting_config():
    """As the official inpainting script: no-norm-pix reconstruction, 75% of
    both modalities masked, VGGSound test set, frame 5."""
    cfg = load_config(str(CONFIGS / 'cavmae-inpaint_vggsound.py'))
    assert cfg.model.reconstruction_head.norm_pix is False
    assert cfg.model.mask_ratio_a == cfg.model.mask_ratio_v == 0.75
    dataset = cfg.test_dataloader.dataset
    assert dataset.ann_file == 'vgg_test_cleaned.json'
    assert dataset.data_root == 'data/vggsound'
    select = [t for t in dataset.pipeline if t['type'] == 'SelectFrames']
    assert select == [dict(type='SelectFrames', mode='fixed', frame_use=5)]
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.reconstruction_head.norm_pix is False


def _on_synthetic(loader_cfg, synthetic):
    from cavmae_mm.registry import DATASETS
    dataset = loader_cfg.dataset
    inner = dataset.get('dataset', dataset)
    inner.update(
        data_root=str(synthetic),
        ann_file='datalist.json',
        label_file='labels.csv')
    return DATASETS.build(dataset)


def assert_same_inputs(preprocessor, shipped, expected, training):
    """The device-fbank batch ``shipped`` (waveforms) through
    ``preprocessor`` gives the CPU recipe's preprocessed batch
    ``expected``: fbank within 1e-4, the frames to the bit."""
    assert shipped['inputs']['waveforms'][0].dim() == 1
    out = preprocessor(shipped, training=training)
    torch.testing.assert_close(
        out['inputs']['audios'],
        expected['inputs']['audios'],
        rtol=0,
        atol=1e-4)
    assert torch.equal(out['inputs']['imgs'], expected['inputs']['imgs'])
    return out


def test_gpu_fbank_recipe_matches_the_cpu_recipe(synthetic):
    from mmengine.dataset import pseudo_collate
    cpu = load_config(str(CONFIGS / 'cavmae-ft_as20k.py'))
    gpu = load_config(str(CONFIGS / 'cavmae-ft_as20k-gpufbank.py'))
    preprocessor = MODELS.build(gpu.model.data_preprocessor)
    cpu_preprocessor = MODELS.build(cpu.model.data_preprocessor)
    for loader in ('val_dataloader', 'test_dataloader'):
        expected = cpu_preprocessor(
            pseudo_collate(
                [_on_synthetic(cpu[loader], synthetic)[i] for i in (0, 3)]))
        shipped = pseudo_collate(
            [_on_synthetic(gpu[loader], synthetic)[i] for i in (0, 3)])
        assert_same_inputs(preprocessor, shipped, expected, training=False)
    train = _on_synthetic(gpu.train_dataloader, synthetic)
    batch = preprocessor(pseudo_collate([train[0], train[1]]), training=True)
    assert batch['inputs']['audios'].shape == (2, 1024, 128)
    assert torch.isfinite(batch['inputs']['audios']).all()


@pytest.mark.parametrize('name, shape',
                         [('cavmae-sync_as2m', (3, 416, 128)),
                          ('cavmae-sync-ft_as20k', (3, 16, 416, 128))])
def test_sync_gpu_fbank_recipe_matches_the_cpu_recipe(synthetic, name, shape):
    """CAV-MAE Sync's device front end: the 416-frame segments cut on the
    device at the shipped frame slots equal the CPU recipe's
    (AudioFrontEnd + AlignAudioToFrames): pretraining's fixed and random
    frame under the same draws, and finetuning's clips of 16 frames."""
    import random

    from mmengine.dataset import pseudo_collate
    cpu = load_config(str(CONFIGS / f'{name}.py'))
    gpu = load_config(str(CONFIGS / f'{name}-gpufbank.py'))
    preprocessor = MODELS.build(gpu.model.data_preprocessor)
    cpu_preprocessor = MODELS.build(cpu.model.data_preprocessor)
    for loader in ('val_dataloader', 'train_dataloader'):
        batches = []
        for cfg in (cpu, gpu):
            dataset = _on_synthetic(cfg[loader], synthetic)
            random.seed(5)
            batches.append(pseudo_collate([dataset[i] for i in (0, 3, 4)]))
        out = assert_same_inputs(
            preprocessor,
            batches[1],
            cpu_preprocessor(batches[0]),
            training=loader == 'train_dataloader')
        assert out['inputs']['audios'].shape == shape
    del batches[1]['data_samples'][1].frame_slots
    del batches[1]['data_samples'][1].frame_inds
    with pytest.raises(KeyError, match=r'frame_slots .*\[1\]'):
        preprocessor(batches[1])


@pytest.mark.parametrize('name', ['cavmae-ft_as20k', 'cavmae-ft_vggsound'])
def test_finetuning_frames_travel_as_uint8_and_mix_on_the_device(
        name, synthetic):
    """The finetuning recipes leave mixed frames uint8 (the clip's and the
    partner's) for the data preprocessor; the model's input equals mixing
    in the pipeline, to the bit, under the same random draws."""
    import random

    import numpy as np
    from mmengine.dataset import pseudo_collate
    cfg = load_config(str(CONFIGS / f'{name}.py'))
    (mixup, ) = [
        t for t in cfg.train_dataloader.dataset.pipeline
        if t.type == 'AudioVisualMixup'
    ]
    assert mixup.frames_on_device is True
    mixup.prob = 0.5
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batches = {}
    for on_device in (True, False):
        mixup.frames_on_device = on_device
        dataset = _on_synthetic(cfg.train_dataloader, synthetic)
        random.seed(3)
        np.random.seed(3)
        torch.manual_seed(3)
        samples = [dataset[i % len(dataset)] for i in range(8)]
        batch = pseudo_collate(samples)
        if on_device:
            imgs = batch['inputs']['imgs']
            mixed = [
                s.metainfo.get('mix_lambda') is not None
                for s in batch['data_samples']
            ]
            assert any(mixed) and not all(mixed)
            assert all(x.dtype == torch.uint8 for x in imgs)
            assert [x.shape[0] == 2 for x in imgs] == mixed
        batches[on_device] = preprocessor(batch, training=True)['inputs']
    assert torch.equal(batches[True]['imgs'], batches[False]['imgs'])
    assert torch.equal(batches[True]['audios'], batches[False]['audios'])
