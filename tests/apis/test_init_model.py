"""cavmae_mm.apis.init_model."""
import pytest
import torch

from cavmae_mm.apis import init_model
from tests.helpers import randomize_, tiny_inputs, tiny_recognizer_cfg


def write_config(path, model_cfg):
    path.write_text("_base_ = []\ndefault_scope = 'cavmae_mm'\n"
                    f'model = {model_cfg!r}\n')
    return path


def test_loads_checkpoint_and_returns_eval_model(tmp_path, build):
    cfg_file = write_config(tmp_path / 'cfg.py', tiny_recognizer_cfg())
    source = randomize_(build(tiny_recognizer_cfg())).eval()
    torch.save(dict(state_dict=source.state_dict()), tmp_path / 'ck.pth')
    model = init_model(cfg_file, str(tmp_path / 'ck.pth'))
    assert not model.training
    inputs = tiny_inputs()
    assert torch.equal(
        model(inputs, mode='tensor'), source(inputs, mode='tensor'))
    other = init_model(
        cfg_file,
        str(tmp_path / 'ck.pth'),
        cfg_options={'model.modality': 'audioonly'})
    assert other.modality == 'audio'  # the official 'audioonly'


def test_missing_tensor_in_checkpoint_is_an_error(tmp_path, build):
    cfg_file = write_config(tmp_path / 'cfg.py', tiny_recognizer_cfg())
    state = build(tiny_recognizer_cfg()).state_dict()
    state.pop('cls_head.fc.bias')
    torch.save(dict(state_dict=state), tmp_path / 'ck.pth')
    from cavmae_mm.checkpoint import CheckpointMismatch
    with pytest.raises(CheckpointMismatch, match='cls_head.fc.bias'):
        init_model(cfg_file, str(tmp_path / 'ck.pth'))
