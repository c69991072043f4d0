"""tools/deployment/export_onnx.py and cavmae_mm.apis.deployment."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cavmae_mm.apis import init_model
from cavmae_mm.registry import MODELS
from tests.helpers import (TINY, randomize_, tiny_pretrain_cfg,
                           tiny_recognizer_cfg)

ort = pytest.importorskip('onnxruntime')
pytest.importorskip('onnx')

from cavmae_mm.apis.deployment import export_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / 'tools' / 'deployment' / 'export_onnx.py'

# Graph inputs of each modality: the missing-modality modes are those of a
# model finetuned on both that is given one (audio_without_visual, the
# official missingaudioonly: the audio).
EXPECTED_INPUTS = dict(
    audio_visual=['fbank', 'frames'],
    audio=['fbank'],
    visual=['frames'],
    audio_without_visual=['fbank'],
    visual_without_audio=['frames'])
NUM_CLASSES = 5


def load_tool():
    spec = importlib.util.spec_from_file_location('export_onnx', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def test_choices_restated_in_the_tool_are_the_packages():
    # the tool names them without importing cavmae_mm (a fast --help)
    from cavmae_mm.apis.deployment import DEFAULT_OPSET, ONNX_INPUTS
    from cavmae_mm.models.modality import OFFICIAL_MODALITY_NAMES
    assert tool.MODALITIES == tuple(ONNX_INPUTS) + tuple(
        OFFICIAL_MODALITY_NAMES)
    assert tool.DEFAULT_OPSET == DEFAULT_OPSET


def write_config(path, model_cfg):
    path.write_text("_base_ = []\ndefault_scope = 'cavmae_mm'\n"
                    f'model = {model_cfg!r}\n')
    return path


@pytest.fixture(scope='module')
def tiny_files(tmp_path_factory):
    """A tiny multimodal recognizer config and a runner-format checkpoint of
    random weights."""
    folder = tmp_path_factory.mktemp('onnx_export')
    cfg = write_config(folder / 'tiny_ft.py',
                       tiny_recognizer_cfg(num_classes=NUM_CLASSES))
    model = randomize_(MODELS.build(tiny_recognizer_cfg(NUM_CLASSES)))
    checkpoint = folder / 'tiny_ft.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return cfg, checkpoint


def graph_inputs(batch, seed=1):
    """fbank as the pipeline gives it, frames on the 0-255 scale."""
    gen = torch.Generator().manual_seed(seed)
    size = TINY['frame_size']
    return dict(
        fbank=torch.randn(
            batch, TINY['target_length'], TINY['num_mel_bins'], generator=gen),
        frames=255 * torch.rand(batch, 3, size, size, generator=gen))


def torch_logits(cfg, checkpoint, modality, inputs):
    """The PyTorch recognizer on the same inputs, through its own data
    preprocessor (which normalises the frames)."""
    model = init_model(
        cfg, str(checkpoint), cfg_options={'model.modality': modality})
    packed = dict(audios=inputs.get('fbank'), imgs=inputs.get('frames'))
    packed = {k: v for k, v in packed.items() if v is not None}
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=packed))
        return model(data['inputs'], mode='tensor')


def run_graph(path, inputs):
    session = ort.InferenceSession(
        str(path), providers=['CPUExecutionProvider'])
    return session, session.run(['logits'], {
        k: v.numpy()
        for k, v in inputs.items()
    })[0]


@pytest.mark.parametrize('modality', list(EXPECTED_INPUTS))
def test_export_matches_pytorch_at_another_batch_size(tiny_files, tmp_path,
                                                      capsys, modality):
    cfg, checkpoint = tiny_files
    out = tmp_path / 'onnx' / f'{modality}.onnx'
    assert tool.main(
        [str(cfg),
         str(checkpoint), '--out',
         str(out), '--modality', modality]) == 0
    assert out.is_file()
    printed = capsys.readouterr().out
    diff = float(re.search(r'\(batch 2\): (\S+)', printed).group(1))
    assert diff <= 1e-4

    # exported with batch 2, run with batch 3: the batch axis is dynamic
    inputs = {
        k: v
        for k, v in graph_inputs(batch=3).items()
        if k in EXPECTED_INPUTS[modality]
    }
    session, logits = run_graph(out, inputs)
    assert [i.name for i in session.get_inputs()] == \
        EXPECTED_INPUTS[modality]
    assert [o.name for o in session.get_outputs()] == ['logits']
    for node in (*session.get_inputs(), *session.get_outputs()):
        assert isinstance(node.shape[0], str), node  # symbolic batch
    expected = torch_logits(cfg, checkpoint, modality, inputs)
    assert logits.shape == (3, NUM_CLASSES)
    assert torch.allclose(torch.from_numpy(logits), expected, atol=1e-4)


def test_old_opset_exports_the_math_attention_path(tiny_files, tmp_path):
    """Fused attention has no export before opset 14: the exported copy
    switches to the math path; the caller's model is left as it was."""
    cfg, checkpoint = tiny_files
    model = init_model(cfg, str(checkpoint))
    out = export_onnx(
        model, tmp_path / 'old.onnx', modality='audioonly', opset=13)
    from timm.layers import Attention
    assert model.modality == 'audio_visual'
    assert all(m.fused_attn for m in model.modules()
               if isinstance(m, Attention))
    inputs = {'fbank': graph_inputs(batch=3)['fbank']}
    _, logits = run_graph(out, inputs)
    expected = torch_logits(cfg, checkpoint, 'audioonly', inputs)
    assert torch.allclose(torch.from_numpy(logits), expected, atol=1e-4)


def test_bad_checkpoint_path_fails_naming_the_file(tiny_files, tmp_path):
    cfg, _ = tiny_files
    missing = tmp_path / 'no_such_checkpoint.pth'
    out = tmp_path / 'model.onnx'
    result = subprocess.run(
        [sys.executable,
         str(TOOL),
         str(cfg),
         str(missing), '--out',
         str(out)],
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode != 0
    assert 'no_such_checkpoint.pth' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not out.exists()


def test_unreadable_checkpoint_and_non_recognizer_fail(tiny_files, tmp_path,
                                                       capsys):
    cfg, checkpoint = tiny_files
    # a file that is no checkpoint
    assert tool.main([str(cfg),
                      str(cfg), '--out',
                      str(tmp_path / 'a.onnx')]) == 1
    err = capsys.readouterr().err
    assert f'checkpoint {cfg}' in err
    # a pretraining model is not a classifier
    pretrain_cfg = write_config(tmp_path / 'pretrain.py', tiny_pretrain_cfg())
    torch.save(
        {
            'state_dict': MODELS.build(tiny_pretrain_cfg()).state_dict(),
            'meta': {}
        }, tmp_path / 'pretrain.pth')
    assert tool.main([
        str(pretrain_cfg),
        str(tmp_path / 'pretrain.pth'), '--out',
        str(tmp_path / 'b.onnx')
    ]) == 1
    err = capsys.readouterr().err
    assert 'pretrain.py' in err and 'CAVMAERecognizer' in err


def test_difference_above_atol_fails(tiny_files, tmp_path, capsys,
                                     monkeypatch):
    cfg, checkpoint = tiny_files
    # the tool imports it from the package when it runs
    monkeypatch.setattr('cavmae_mm.apis.deployment.check_onnx',
                        lambda *args, **kwargs: 0.5)
    out = tmp_path / 'model.onnx'
    assert tool.main([str(cfg), str(checkpoint), '--out', str(out)]) == 1
    assert 'exceeds --atol' in capsys.readouterr().err
    assert out.is_file()  # kept for inspection


def test_sync_clip_recognizer_exports_clips(tmp_path):
    """A CAV-MAE Sync recognizer with the frame-attention head: the graph
    takes clips (fbank [B, N, T, F], frames [B, N, 3, H, W]) and gives one
    prediction per clip, equal to PyTorch's."""
    from tests.helpers import TINY_ENCODER
    frames = 3
    model_cfg = dict(
        type='CAVMAESyncRecognizer',
        backbone=dict(
            TINY_ENCODER,
            type='CAVMAESyncEncoder',
            num_register_tokens=2,
            trainable_pos_embed=True),
        cls_head=dict(
            type='CAVMAEFrameAttentionHead',
            num_classes=NUM_CLASSES,
            in_channels=64,
            num_frames=frames,
            num_heads=2))
    cfg = write_config(tmp_path / 'sync_ft.py', model_cfg)
    checkpoint = tmp_path / 'sync_ft.pth'
    model = randomize_(MODELS.build(model_cfg))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    out = tmp_path / 'sync.onnx'
    assert tool.main([str(cfg), str(checkpoint), '--out', str(out)]) == 0
    inputs = {
        k: v.unflatten(0, (-1, frames))
        for k, v in graph_inputs(batch=2 * frames).items()
    }
    _, logits = run_graph(out, inputs)
    expected = torch_logits(cfg, checkpoint, 'audio_visual', inputs)
    assert logits.shape == (2, NUM_CLASSES)
    assert torch.allclose(torch.from_numpy(logits), expected, atol=1e-4)
