"""tools/misc/extract_features.py and apis.extract_features."""
import numpy as np
import torch

from cavmae_mm.config import load_config
from cavmae_mm.registry import MODELS
from tests.tool_loader import load_tool

tool = load_tool('tools/misc/extract_features.py')


def test_feature_names_restated_in_the_tool_are_the_packages():
    # the tool names them without importing cavmae_mm (a fast --help)
    from cavmae_mm.apis import FEATURES
    assert tool.FEATURES == FEATURES


def test_features_of_a_datalist(tiny_config, tmp_path):
    cfg = tiny_config
    model = MODELS.build(load_config(str(cfg)).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ck.pth')
    out = tmp_path / 'feats.pt'
    assert tool.main([
        str(cfg),
        str(tmp_path / 'ck.pth'), '--out',
        str(out), '--batch-size', '4'
    ]) == 0
    feats = torch.load(out, weights_only=True)
    assert feats['video_id'][:2] == ['c0_000', 'c0_001']
    assert feats['audio'].shape == feats['visual'].shape == \
        feats['joint'].shape == (6, 32)
    # the audio embedding is the model's audio-path feature, mean-pooled
    model.eval()
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(load_config(str(cfg)).test_dataloader)
    first = model.data_preprocessor(pseudo_collate([loader.dataset[0]]))
    audio, _ = model(first['inputs'], mode='tensor')
    assert torch.allclose(feats['audio'][0], audio[0].mean(0), atol=1e-5)

    folder = tmp_path / 'npy'
    assert tool.main([
        str(cfg),
        str(tmp_path / 'ck.pth'), '--out',
        str(folder), '--features', 'visual'
    ]) == 0
    assert np.load(folder / 'visual.npy').shape == (6, 32)
    assert (folder / 'video_ids.txt').read_text().split()[5] == 'c2_001'
