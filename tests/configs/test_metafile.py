"""The model zoo (model-index.yml -> configs/metafile.yml) lists every
released official checkpoint with a config that exists and matches it."""
import csv
from pathlib import Path

import pytest
import yaml

from cavmae_mm.config import load_config
from cavmae_mm.models.modality import modality_name

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT / 'tests' / 'data' / 'official_checkpoints.csv'
# CAV-MAE Sync's release: its README's download script, with the settings
# its retrieval script builds the model with, and the project page's numbers
OFFICIAL_SYNC = ROOT / 'tests' / 'data' / 'official_sync_checkpoints.csv'


@pytest.fixture(scope='module')
def models():
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    (metafile, ) = index['Import']
    meta = yaml.safe_load((ROOT / metafile).read_text())
    assert [c['Name'] for c in meta['Collections']] == \
        ['CAV-MAE', 'CAV-MAE Sync']
    return meta['Models']


def official_rows(path=OFFICIAL):
    with path.open() as f:
        return list(csv.DictReader(f))


def test_every_official_checkpoint_once(models):
    urls = [m['Weights'] for m in models if 'Weights' in m]
    assert len(urls) == len(set(urls))
    assert len({m['Name'] for m in models}) == len(models)
    assert sorted(urls) == sorted(
        r['url'] for r in official_rows() + official_rows(OFFICIAL_SYNC))


@pytest.mark.parametrize('row', official_rows(), ids=lambda r: r['name'])
def test_entry_matches_the_official_checkpoint(models, row):
    (model, ) = [m for m in models if m.get('Weights') == row['url']]
    meta = model['Metadata']
    assert meta['Official Name'] == row['name']
    assert model['Converted From']['Weights'] == row['url']
    file = row['url'].rsplit('/', 1)[1].split('?')[0]
    assert meta['Conversion Command'].startswith(
        f'python tools/model_converters/convert_checkpoint.py {file} ')
    cfg = load_config(str(ROOT / model['Config']))
    if row['kind'] == 'finetune':
        (result, ) = model['Results']
        (value, ) = result['Metrics'].values()
        assert value == float(row['value'])
        assert cfg.model.type == 'CAVMAERecognizer'
        assert modality_name(cfg.model.modality) == \
            modality_name(row['modality'])  # the official name
        classes = 527 if row['finetune_data'].startswith('AudioSet') else 309
        assert cfg.model.cls_head.num_classes == classes
        assert result['Dataset'].split('-')[0] in row['finetune_data']
    elif row['kind'] == 'pretrain':
        assert cfg.model.type == 'CAVMAE'
        assert meta['Batch Size'] == int(row['batch'])
        train = load_config(str(ROOT / meta['Training Config']))
        options = dict(
            o.split('=', 1)
            for o in meta.get('Training Config Options', '').split())
        for key, value in options.items():
            # every option names an entry the training config has
            node = train
            for part in key.split('.')[:-1]:
                node = node[part]
            assert key.split('.')[-1] in node, key
            node[key.split('.')[-1]] = yaml.safe_load(value)
        assert train.train_dataloader.batch_size * 4 == int(row['batch']) \
            or train.auto_scale_lr.base_batch_size == int(row['batch'])
        weight = train.model.contrastive_head.get('loss_weight')
        assert weight == float(row['lambda_c'])
        ratio = int(row['masking'].split('%')[0]) / 100
        assert train.model.mask_ratio_a == train.model.mask_ratio_v == ratio
        mode = row['masking'].split('% ')[1]
        assert train.model.get('audio_mask_mode', 'unstructured') == {
            'unstructured': 'unstructured',
            'time-frequency': 'tf',
            'time': 'time',
            'frequency': 'freq'
        }[mode]
        if row['notes'].startswith('inpainting'):
            assert train.model.reconstruction_head.norm_pix is False
            assert cfg.model.reconstruction_head.norm_pix is False
        bidirectional = 'bidirectional' in row['notes']
        assert train.model.contrastive_head.get('bidirectional',
                                                False) is bidirectional


def test_recipes_without_released_weights(models):
    """The official VGGSound pretraining recipe has no released checkpoint:
    its entry names the training config, whose recipe it states, and the
    finetuned result of the official logs; asking for its weights by name
    says so."""
    from cavmae_mm.checkpoint import resolve_model
    (model, ) = [
        m for m in models
        if 'Weights' not in m and m['In Collection'] == 'CAV-MAE'
    ]
    assert model['Name'] == 'cavmae_vggsound'
    meta = model['Metadata']
    train = load_config(str(ROOT / meta['Training Config']))
    assert train.auto_scale_lr.base_batch_size == meta['Batch Size'] == 120
    assert train.model.contrastive_head.loss_weight == \
        meta['Contrastive Loss Weight']
    assert train.model.mask_ratio_a == train.model.mask_ratio_v == 0.75
    (result, ) = model['Results']
    assert result['Metrics'] == {'Top 1 Accuracy': 64.8}
    assert load_config(str(ROOT / model['Config'])).model.type == 'CAVMAE'
    with pytest.raises(ValueError, match='released no weights'):
        resolve_model('cavmae_vggsound')
    assert resolve_model('cavmae_vggsound', 'mine.pth')[1] == 'mine.pth'


@pytest.mark.parametrize(
    'row', official_rows(OFFICIAL_SYNC), ids=lambda r: r['name'])
def test_sync_entry_matches_the_release(models, row):
    """The released Sync checkpoint's entry: a config whose model is the
    one the official retrieval script builds for it, the published
    numbers, and a config evaluating them with the official protocol."""
    (model, ) = [m for m in models if m.get('Weights') == row['url']]
    assert model['In Collection'] == 'CAV-MAE Sync'
    assert model['Metadata']['Official Name'] == row['name']
    cfg = load_config(str(ROOT / model['Config']))
    backbone = cfg.model.backbone
    assert backbone.type == 'CAVMAESyncEncoder'
    assert backbone.num_register_tokens == int(row['num_register_tokens'])
    assert backbone.global_tokens is (row['cls_token'] == 'True')
    assert backbone.contrastive_depth == 0
    assert backbone.target_length == int(row['target_length'])
    assert cfg.model.contrastive_head.pooling == 'global'
    assert cfg.test_evaluator.frame_aggregation == 'diagonal_mean'
    (select, ) = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] == 'SelectFrames'
    ]
    assert select['mode'] == 'all'
    assert select['num_frames'] == int(row['total_frame'])
    (result, ) = model['Results']
    assert result['Dataset'].startswith(row['dataset'])
    assert result['Metrics'] == {
        'Video-to-Audio R@1': float(row['v2a_r1']),
        'Audio-to-Video R@1': float(row['a2v_r1'])
    }


def test_sync_recipe_without_weights(models):
    """Sync's AudioSet-2M recipe: no weights, the paper's AudioSet
    retrieval numbers, a Sync training config."""
    from cavmae_mm.checkpoint import resolve_model
    (model, ) = [
        m for m in models
        if 'Weights' not in m and m['In Collection'] == 'CAV-MAE Sync'
    ]
    assert model['Name'] == 'cavmae-sync_as2m'
    assert model['Results'][0]['Metrics'] == {
        'Video-to-Audio R@1': 35.2,
        'Audio-to-Video R@1': 27.9
    }
    train = load_config(str(ROOT / model['Metadata']['Training Config']))
    assert train.model.backbone.type == 'CAVMAESyncEncoder'
    assert train.model.contrastive_head.loss_weight == \
        model['Metadata']['Contrastive Loss Weight']
    with pytest.raises(ValueError, match='released no weights'):
        resolve_model('cavmae-sync_as2m')
