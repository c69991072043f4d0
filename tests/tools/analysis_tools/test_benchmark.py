"""tools/analysis_tools/benchmark.py smoke tests: every speed setting
computes what the reference computation does (first-step losses agree);
timings are not checked."""
import json

import pytest

from tests.tool_loader import load_tool

benchmark = load_tool('tools/analysis_tools/benchmark.py')

# timed training steps and raw-video inference
pytestmark = pytest.mark.slow


def run_model(tmp_path, *options):
    out = tmp_path / 'bench.json'
    report = benchmark.main([
        'model', '--size', 'tiny', '--device', 'cpu', '--batch', '3',
        '--steps', '1', '--warmup', '1', '--out',
        str(out), *options
    ])
    assert json.loads(out.read_text())['model']['models'].keys() == \
        report['model']['models'].keys()
    return report['model']['models']


def test_command_line_defaults():
    args = benchmark.parse_args([])
    assert args.what == ['model']
    assert args.size == 'full'
    assert benchmark.parse_args(['infer']).what == ['infer']
    with pytest.raises(SystemExit):  # the data pipeline has its own tool
        benchmark.parse_args(['data'])


def test_fp32_fused_attention_and_checkpointing(tmp_path):
    models = run_model(tmp_path, '--precision', 'fp32', '--with-cp',
                       '--fused-adam', 'true')
    assert set(models) == {'pretrain', 'finetune'}
    for result in models.values():
        assert result['chosen']['setting'] == dict(
            precision='fp32',
            attention='fused',
            compile=False,
            with_cp=True,
            fused_adam=True)
        assert result['reference']['setting'] == benchmark.REFERENCE
        assert result['first_loss_rel_diff'] < 1e-5
        assert result['flops_per_sample'] > 0
        assert result['chosen']['samples_per_s'] > 0


def test_sync_steps(tmp_path):
    """CAV-MAE Sync's pretraining step and its clip finetuning step (a
    sample is a frame-pair: 4 = one tiny clip)."""
    models = run_model(tmp_path, '--precision', 'fp32', '--batch', '4',
                       '--models', 'sync_pretrain', 'sync_finetune')
    assert set(models) == {'sync_pretrain', 'sync_finetune'}
    for result in models.values():
        assert result['first_loss_rel_diff'] < 1e-5
        assert result['flops_per_sample'] > 0
    with pytest.raises(ValueError, match='whole number'):
        run_model(tmp_path, '--batch', '3', '--models', 'sync_finetune')


def test_default_setting_of_this_machine(tmp_path):
    """bf16 autocast where the CPU has native bf16, fp32 elsewhere."""
    models = run_model(tmp_path)
    for result in models.values():
        tolerance = 3e-2 if result['chosen']['setting']['precision'] == \
            'bf16' else 1e-5
        assert result['first_loss_rel_diff'] < tolerance


@pytest.mark.timeout(600)
def test_torch_compile(tmp_path):
    models = run_model(tmp_path, '--precision', 'fp32', '--compile')
    for result in models.values():
        assert result['chosen']['setting']['compile'] is True
        assert result['first_loss_rel_diff'] < 1e-4


@pytest.mark.skipif(
    not __import__('torch').cuda.is_available(), reason='needs CUDA')
def test_default_gpu_setting(tmp_path):
    out = tmp_path / 'bench.json'
    report = benchmark.main([
        'model', '--size', 'tiny', '--device', 'cuda', '--batch', '3',
        '--steps', '1', '--warmup', '1', '--out',
        str(out)
    ])
    for result in report['model']['models'].values():
        assert result['chosen']['setting']['fused_adam'] is True
        assert result['chosen']['peak_memory_gb'] > 0
        assert result['first_loss_rel_diff'] < 3e-2


def test_raw_video_inference(tmp_path):
    out = tmp_path / 'bench.json'
    report = benchmark.main([
        'infer', '--size', 'tiny', '--device', 'cpu', '--clips', '2',
        '--workers', '0', '--infer-batch', '2', '--out',
        str(out)
    ])
    infer = json.loads(out.read_text())['infer']
    assert infer == report['infer']
    assert infer['clips'] == 2
    assert 0 < infer['decode_share'] < 1
    assert infer['clips_per_s']['workers=0 batch=2'] > 0
