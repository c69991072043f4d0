"""Recipes start from their pretrained checkpoint (official files as
released); a missing file says where to get it; no silent random start."""
from pathlib import Path

import pytest
import torch

from cavmae_mm.checkpoint import find_by_default_path, mm_to_official
from cavmae_mm.config import load_config
from tests.helpers import randomize_, tiny_pretrain_cfg, tiny_recognizer_cfg

ROOT = Path(__file__).resolve().parents[2]
TRAINING_CONFIGS = sorted(
    p for p in (ROOT / 'configs').glob('*.py')
    if 'retrieval' not in p.name and 'inpaint' not in p.name)


@pytest.mark.parametrize('path', TRAINING_CONFIGS, ids=lambda p: p.name)
def test_every_training_recipe_names_its_start(path):
    cfg = load_config(str(path))
    init = cfg.model.init_cfg
    assert init.type == 'Pretrained'
    entry = find_by_default_path(init.checkpoint)
    if cfg.model.type == 'CAVMAERecognizer':
        # official finetuning: from CAV-MAE-Scale++
        assert entry.official_name == 'CAV-MAE-Scale++'
    elif cfg.model.type == 'CAVMAESyncRecognizer':
        # Sync finetuning: from the released Sync checkpoint
        assert entry.name == 'cavmae-sync_vggsound-retrieval'
    elif 'from-as2m' in path.name:
        assert entry.official_name == 'CAV-MAE-Scale++'
    else:
        assert entry.name == 'cavmae-init_imagenet-mae'


def test_missing_pretrained_file_says_where_to_get_it(build, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = build(
        tiny_recognizer_cfg(
            init_cfg=dict(
                type='Pretrained',
                checkpoint='checkpoints/cav-mae-scale++.pth')))
    with pytest.raises(FileNotFoundError) as info:
        model.init_weights()
    message = str(info.value)
    assert 'checkpoints/cav-mae-scale++.pth: pretrained checkpoint not ' \
        'found' in message
    assert 'cavmae-scale++_as2m' in message and 'wget -O' in message
    assert 'model.init_cfg=None' in message


def test_finetuning_starts_from_the_official_pretrained_file(build, tmp_path):
    pretrained = randomize_(build(tiny_pretrain_cfg()), seed=11)
    path = tmp_path / 'audio_model.21.pth'
    torch.save(mm_to_official(pretrained.state_dict()), path)
    model = build(
        tiny_recognizer_cfg(
            init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    mine = model.state_dict()
    for key, value in pretrained.state_dict().items():
        if key.startswith('backbone.'):
            assert torch.equal(mine[key], value), key
    # the head is initialised as the reference does, not copied
    assert mine['cls_head.norm.weight'].eq(1).all()


def test_pretraining_starts_from_a_checkpoint_and_init_cfg_none(
        build, tmp_path):
    source = randomize_(build(tiny_pretrain_cfg()), seed=12)
    path = tmp_path / 'init.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    model = build(
        tiny_pretrain_cfg(
            init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    assert all(
        torch.equal(a, b) for a, b in zip(
            model.state_dict().values(),
            source.state_dict().values(),
            strict=True))
    fresh = build(tiny_pretrain_cfg(init_cfg=None))
    fresh.init_weights()  # a deliberate random start
    assert not torch.equal(fresh.backbone.modality_a,
                           source.backbone.modality_a)
