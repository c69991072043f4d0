"""The recipe configs load with inheritance and build at full size."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.dataset import pseudo_collate

from cavmae_mm.config import load_config
from cavmae_mm.registry import MODELS
from tests.tool_loader import load_tool

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


@pytest.fixture(scope='module')
def pretrain_cfg():
    return load_config(str(CONFIGS / 'cavmae_as2m.py'))


@pytest.fixture(scope='module')
def finetune_cfg():
    return load_config(str(CONFIGS / 'cavmae-ft_as2m.py'))


def test_pretrain_recipe_values(pretrain_cfg):
    cfg = pretrain_cfg
    assert cfg.default_scope == 'cavmae_mm'
    assert cfg.custom_imports.imports == ['cavmae_mm']
    opt = cfg.optim_wrapper
    assert opt.type == 'AmpOptimWrapper'
    assert (opt.optimizer.type, opt.optimizer.lr) == ('Adam', 2e-4)
    assert tuple(opt.optimizer.betas) == (0.95, 0.999)
    assert opt.optimizer.weight_decay == 5e-7
    assert cfg.train_cfg.max_epochs == 25
    assert cfg.param_scheduler[0].milestones == [10, 15, 20]
    assert cfg.param_scheduler[0].gamma == 0.5
    assert cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.model.reconstruction_head.norm_pix is True
    assert cfg.model.contrastive_head.loss_weight == 0.01
    assert cfg.model.contrastive_head.temperature == 0.05
    assert (cfg.model.mask_ratio_a, cfg.model.mask_ratio_v) == (0.75, 0.75)


def test_finetune_recipe_values(finetune_cfg):
    cfg = finetune_cfg
    assert cfg.optim_wrapper.optimizer.lr == 1e-5
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['cls_head'] == dict(
        lr_mult=50.0)
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.param_scheduler[0].milestones == list(range(2, 10))
    assert cfg.model.cls_head.num_classes == 527
    assert cfg.model.cls_head.loss_cls.type == 'BCELossWithLogits'
    assert cfg.model.backbone.trainable_pos_embed is True
    assert cfg.auto_scale_lr.base_batch_size == 48


def test_full_size_models_build(pretrain_cfg, finetune_cfg):
    pretrain = MODELS.build(pretrain_cfg.model)
    assert pretrain.backbone.pos_embed_a.shape == (1, 512, 768)
    assert len(pretrain.backbone.blocks_a) == 11
    assert len(pretrain.neck.blocks) == 8
    finetune = MODELS.build(finetune_cfg.model)
    assert finetune.cls_head.fc.weight.shape == (527, 768)


def test_plain_custom_imports_config_builds_through_mmengine(tmp_path):
    """What MMAction2's tools/train.py does: load a config whose
    custom_imports names cavmae_mm, set its default scope, and build from
    MMEngine's root registry; MMAction2's own parts stay reachable."""
    cfg_file = tmp_path / 'user_cfg.py'
    cfg_file.write_text(f"_base_ = [{str(CONFIGS / 'cavmae-ft_as2m.py')!r}]\n"
                        "model = dict(cls_head=dict(num_classes=10))\n")
    code = ('from mmengine.config import Config\n'
            'from mmengine.registry import MODELS, init_default_scope\n'
            f'cfg = Config.fromfile({str(cfg_file)!r})\n'
            'init_default_scope(cfg.default_scope)\n'
            'model = MODELS.build(cfg.model)\n'
            'loss = MODELS.build(dict(type="BCELossWithLogits"))\n'
            'print(type(model).__name__, model.cls_head.num_classes,\n'
            '      type(loss).__module__.split(".")[0])\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['CAVMAERecognizer', '10', 'mmaction']


def point_at(cfg_dataset, root):
    """Sends a config's dataset (or wrapped dataset) to the synthetic set."""
    inner = cfg_dataset.get('dataset', cfg_dataset)
    inner.update(
        data_root=str(root), ann_file='datalist.json', label_file='labels.csv')


def test_finetune_datasets_build_and_load_synthetic_clips(
        finetune_cfg, synthetic, tmp_path):
    gen_sample_weights = load_tool('tools/data/gen_sample_weights.py')
    from cavmae_mm.registry import DATA_SAMPLERS, DATASETS
    cfg = finetune_cfg.copy()
    point_at(cfg.train_dataloader.dataset, synthetic)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    sample = train[0]
    assert sample['inputs']['audios'].shape == (1024, 128)
    # a mixed-up sample brings two clips' frames, mixed by the data
    # preprocessor: the model's input is one frame either way
    model_input = MODELS.build(finetune_cfg.model.data_preprocessor)(
        pseudo_collate([sample]))['inputs']
    assert model_input['imgs'].shape == (1, 3, 224, 224)
    assert sample['data_samples'].gt_label.shape == (3, )
    weights = tmp_path / 'w.csv'
    assert gen_sample_weights.main([
        str(synthetic / 'datalist.json'),
        str(synthetic / 'labels.csv'),
        str(weights)
    ]) == 0
    sampler = DATA_SAMPLERS.build(
        dict(cfg.train_dataloader.sampler, weights_file=str(weights)),
        default_args=dict(dataset=train))
    assert len(list(sampler)) == len(train)

    point_at(cfg.test_dataloader.dataset, synthetic)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    packed = test[1]
    assert packed['inputs']['imgs'].shape == (10, 3, 224, 224)
    assert packed['data_samples'].metainfo['frame_inds'] == list(range(10))


def test_pretrain_dataset_has_no_spec_augment_or_mixup(pretrain_cfg):
    dataset = pretrain_cfg.train_dataloader.dataset
    assert dataset.type == 'AudioVisualDataset'
    (frontend, ) = [
        t for t in dataset.pipeline if t['type'] == 'AudioFrontEnd'
    ]
    assert frontend.get('freqm', 0) == frontend.get('timem', 0) == 0
    assert frontend['noise'] is True
    assert pretrain_cfg.train_dataloader.batch_size == 64
    assert pretrain_cfg.train_dataloader.sampler.type == 'DefaultSampler'


def test_vggsound_variant_is_single_label_with_accuracy(synthetic):
    from cavmae_mm.registry import DATASETS
    cfg = load_config(str(CONFIGS / '_base_' / 'datasets' / 'vggsound.py'))
    assert cfg.val_evaluator.metric_list == ('top_k_accuracy', )
    inner = cfg.train_dataloader.dataset.dataset
    assert inner.multi_label is False
    assert inner.ann_file == 'vgg_train_cleaned.json'
    assert inner.pipeline[0].type == 'LoadAudio'  # AudioSet's pipelines
    point_at(cfg.test_dataloader.dataset, synthetic)
    packed = DATASETS.build(cfg.test_dataloader.dataset)[4]
    assert packed['data_samples'].gt_label.tolist() == [2]
    assert packed['inputs']['imgs'].shape == (10, 3, 224, 224)


def test_audioset_recipe_evaluates_with_audioset_metrics(finetune_cfg):
    from cavmae_mm.registry import METRICS
    assert finetune_cfg.val_evaluator.type == 'AudioSetMetric'
    assert type(METRICS.build(finetune_cfg.test_evaluator)).__name__ == \
        'AudioSetMetric'


def _pipelines(cfg):
    """(loader name, pipeline) of every loader, the inner dataset's too."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(name) or {}).get('dataset')
        while dataset:
            yield name, dataset.get('pipeline', [])
            dataset = dataset.get('dataset')


RECIPES = sorted(
    str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py')
    if '_base_' not in p.parts)


@pytest.mark.parametrize('name', RECIPES)
def test_pipelines_feed_the_model_its_input_size(name):
    """The input sizes are stated once (input_geometry); every loader of
    every config feeds the model the sizes it was built for."""
    cfg = load_config(str(CONFIGS / name))
    backbone = cfg.model.backbone
    expected = {
        ('AudioFrontEnd', 'num_mel_bins'): backbone.num_mel_bins,
        ('AudioFrontEnd', 'target_length'): backbone.target_length,
        ('ResizeCenterCrop', 'frame_size'): backbone.frame_size,
    }
    seen = set()
    for loader, pipeline in _pipelines(cfg):
        for step in pipeline:
            for (kind, key), value in expected.items():
                if step.type == kind:
                    assert step[key] == value, (loader, step)
                    seen.add(kind)
    on_device = cfg.model.get('data_preprocessor', {}).get('fbank_on_device')
    if on_device:
        assert on_device.num_mel_bins == backbone.num_mel_bins
        assert on_device.target_length == backbone.target_length
        seen.add('AudioFrontEnd')
    assert seen == {kind for kind, _ in expected}, seen


def test_input_size_is_one_value():
    """One override of input_geometry resizes the model (encoder and
    decoder) and every loader; a part that states another size is an error
    naming it."""
    cfg = load_config(
        str(CONFIGS / 'cavmae_as2m.py'),
        dict(input_geometry=dict(target_length=512, frame_size=160)))
    for part in (cfg.model.backbone, cfg.model.neck):
        assert (part.target_length, part.frame_size) == (512, 160)
    sizes = {(step.type, step.get('target_length', step.get('frame_size')))
             for _, pipeline in _pipelines(cfg)
             for step in pipeline
             if step.type in ('AudioFrontEnd', 'ResizeCenterCrop')}
    assert sizes == {('AudioFrontEnd', 512), ('ResizeCenterCrop', 160)}
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.backbone.pos_embed_a.shape == (1, 8 * 32, 768)
    assert model.neck.pos_embed_v.shape == (1, 10 * 10, 512)
    with pytest.raises(
            ValueError,
            match=r'model\.backbone\.target_length='
            r'256 contradicts input_geometry\.target_length=1024'):
        load_config(
            str(CONFIGS / 'cavmae_as2m.py'),
            {'model.backbone.target_length': 256})
    with pytest.raises(ValueError, match='unknown keys'):
        load_config(
            str(CONFIGS / 'cavmae_as2m.py'), {'input_geometry.img_size': 1})


def test_new_dataset_template_keeps_nothing_of_its_base_data(synthetic):
    """configs/cavmae-ft_custom.py (the README's template for new data):
    no VGGSound path, 10 s length or AudioSet statistic is left anywhere in
    the config, and its model takes 5 s clips."""
    import json
    cfg = load_config(str(CONFIGS / 'cavmae-ft_custom.py'))
    text = json.dumps(cfg.to_dict(), default=str)
    for stale in ('vgg', '1024', '-5.081', '4.4849', 'audioset'):
        assert stale not in text, stale
    norms = [
        step for _, pipeline in _pipelines(cfg) for step in pipeline
        if step.type == 'AudioFrontEnd'
    ]
    assert len(norms) == 3  # train (after mixing), validation, test
    assert all((n.mean, n.std) == (-4.0, 4.0) for n in norms)
    assert cfg.model.cls_head.num_classes == 10
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    # 512 frames x 128 bins in 16 x 16 patches
    assert model.backbone.pos_embed_a.shape == (1, 256, 768)
    point_at(cfg.test_dataloader.dataset, synthetic)
    from cavmae_mm.registry import DATASETS
    packed = DATASETS.build(cfg.test_dataloader.dataset)[0]
    assert packed['inputs']['audios'].shape == (512, 128)
