"""The released CAV-MAE Sync checkpoint layout (tests/data/
official_cavmae_sync_keys.txt, every tensor of the model the official
retrieval script builds for cav_mae_sync.pth) loads as released and
converts back."""
from pathlib import Path

import torch

from cavmae_mm.checkpoint import (infer_model_config, mm_to_official,
                                  official_to_mm, read_checkpoint)
from cavmae_mm.registry import MODELS
from tests.reference.official_state import random_official_state

KEYS = Path(__file__).resolve().parents[1] / 'data' / \
    'official_cavmae_sync_keys.txt'


def released_layout():
    shapes = []
    for line in KEYS.read_text().splitlines():
        name, shape = line.split('\t')
        shapes.append(
            (name, tuple(int(s) for s in shape.strip('()').split(',') if s)))
    return random_official_state(shapes, seed=5)


def test_released_layout_converts_to_the_sync_model_and_back():
    official = released_layout()
    converted, kind, dropped = official_to_mm(official)
    assert kind == 'pretrain' and dropped == []
    cfg = infer_model_config(converted, kind)
    assert cfg['backbone']['type'] == 'CAVMAESyncEncoder'
    assert cfg['backbone']['num_register_tokens'] == 8
    assert cfg['backbone']['global_tokens'] is True
    assert cfg['backbone']['contrastive_depth'] == 0
    assert cfg['backbone']['target_length'] == 416
    assert cfg['contrastive_head']['pooling'] == 'global'
    model = MODELS.build(cfg)
    model.load_state_dict(converted, strict=True)
    back = mm_to_official(model.state_dict())
    assert sorted(back) == sorted(official)
    assert all(torch.equal(back[k], official[k]) for k in official)


def test_released_file_loads_by_path(tmp_path):
    path = tmp_path / 'cav_mae_sync.pth'
    torch.save(released_layout(), path)
    loaded = read_checkpoint(str(path))
    assert loaded.official_kind == 'pretrain'
    assert 'backbone.register_tokens' in loaded.state_dict
    assert 'backbone.cls_token_a' in loaded.state_dict


def test_full_size_sync_model_runs_on_the_released_weights():
    converted, kind, _ = official_to_mm(released_layout())
    model = MODELS.build(infer_model_config(converted, kind))
    model.load_state_dict(converted, strict=True)
    model.eval()
    gen = torch.Generator().manual_seed(0)
    clips = dict(
        audios=torch.randn(1, 2, 416, 128, generator=gen),
        imgs=torch.randn(1, 2, 3, 224, 224, generator=gen))
    with torch.no_grad():
        audio, visual = model.retrieval_features(clips)
    assert audio.shape == visual.shape == (1, 2, 768)
    assert torch.isfinite(audio).all() and torch.isfinite(visual).all()


def test_released_checkpoint_loads_by_model_zoo_name(tmp_path):
    """init_model (behind tools/test.py, tools/infer.py, the search tool
    and the inferencer) with the model-zoo name and the file as released:
    the Sync retrieval config, weights loaded strictly."""
    from cavmae_mm.apis import init_model
    from cavmae_mm.checkpoint import get_model
    path = tmp_path / 'cav_mae_sync.pth'
    official = released_layout()
    torch.save(official, path)
    entry = get_model('cavmae-sync_vggsound-retrieval')
    assert entry == get_model('cav_mae_sync.pth')  # its official name
    model = init_model('cavmae-sync_vggsound-retrieval', str(path))
    assert type(model.backbone).__name__ == 'CAVMAESyncEncoder'
    assert torch.equal(model.backbone.register_tokens.cpu(),
                       official['module.register_tokens'])
    assert torch.equal(model.backbone.cls_token_v.cpu(),
                       official['module.cls_token_v'])
