"""tools/analysis_tools/get_flops.py: parameters and FLOPs per use of the
tiny configs' models, checked against the formulas (themselves checked
against torch's FLOP counter in tests/utils/test_flops.py)."""
import re

import pytest

from cavmae_mm.config import load_config
from cavmae_mm.models.flops import (encoder_flops, pretrain_flops,
                                    recognizer_flops)
from cavmae_mm.models.modality import MODALITY_PATHS
from cavmae_mm.registry import MODELS
from tests.tool_loader import load_tool

get_flops = load_tool('tools/analysis_tools/get_flops.py')

PREFIX = {'': 1, 'K': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12}


def table(out: str, header: str) -> dict:
    """Rows of the table whose first column is ``header``: name -> cells
    as numbers (None for '-')."""
    rows, inside = {}, False
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if cells[0] == header:
            inside = True
            continue
        if not inside or set(line.strip()) <= {'|', '-'}:
            if inside and not line.strip():
                break
            continue
        rows[cells[0]] = [
            None if c == '-' else float(c.split()[0]) *
            PREFIX[c.split()[1] if ' ' in c else ''] for c in cells[1:]
        ]
    return rows


def close(shown, exact):
    """Shown with 2 decimals after an SI prefix: within 0.5%."""
    return shown == pytest.approx(exact, rel=5e-3, abs=0.5)


def built(config, **backbone):
    cfg = load_config(str(config))
    cfg.model.backbone.update(backbone)
    if cfg.model.get('neck'):
        cfg.model.neck.update(backbone)
    return MODELS.build(cfg.model)


def test_recognizer_every_modality(tiny_classifier, capsys):
    config, _ = tiny_classifier
    assert get_flops.main([str(config)]) == 0
    out = capsys.readouterr().out
    model = built(config)
    assert f'{config}: CAVMAERecognizer, modality audio_visual' in out
    assert 'fbank 64 frames x 32 mel bins (8 audio patches), image 32 x 32 '\
        '(4 visual patches)' in out
    params = table(out, 'parameters')
    assert close(params['total'][0],
                 sum(p.numel() for p in model.parameters()))
    assert close(params['cls_head'][0],
                 sum(p.numel() for p in model.cls_head.parameters()))
    assert close(
        sum(params[f'backbone ({part})'][0]
            for part in ('audio', 'visual', 'shared')),
        sum(p.numel() for p in model.backbone.parameters()))
    flops = table(out, 'FLOPs per sample')
    assert list(flops)[0] == 'audio_visual (config)'
    assert len(flops) == len(MODALITY_PATHS)
    for modality in MODALITY_PATHS:
        model.modality = modality
        expected = recognizer_flops(model)
        name = modality + (' (config)' if modality == 'audio_visual' else '')
        assert close(flops[name][0], expected['forward'])
        assert close(flops[name][1], expected['train_step'])


def test_pretraining_step_and_encoder_paths(tiny_config, capsys):
    assert get_flops.main([str(tiny_config)]) == 0
    out = capsys.readouterr().out
    model = built(tiny_config)
    flops = table(out, 'FLOPs per sample')
    step = 'pretraining step (mask a 0.75, v 0.75; batch 2)'  # the config's
    assert close(flops[step][0], pretrain_flops(model, 2)['forward'])
    assert close(flops[step][1], pretrain_flops(model, 2)['train_step'])
    for path in ('audio', 'visual', 'joint'):
        row = flops[f'encoder {path} path, unmasked']
        assert row[1] is None
        assert close(row[0], encoder_flops(model.backbone, 8, 4, (path, )))
    assert 'neck' in table(out, 'parameters')

    assert get_flops.main([str(tiny_config), '--batch-size', '64']) == 0
    bigger = table(capsys.readouterr().out, 'FLOPs per sample')
    step64 = step.replace('batch 2', 'batch 64')
    assert close(bigger[step64][0], pretrain_flops(model, 64)['forward'])
    assert bigger[step64][0] > flops[step][0]


def test_shape_options_resize_the_inputs(tiny_config, capsys):
    assert get_flops.main(
        [str(tiny_config), '--shape', '48', '48', '--audio-shape', '96',
         '32']) == 0
    out = capsys.readouterr().out
    assert 'fbank 96 frames x 32 mel bins (12 audio patches), image 48 x '\
        '48 (9 visual patches)' in out
    model = built(tiny_config, frame_size=48, target_length=96)
    flops = table(out, 'FLOPs per sample')
    assert close(flops['encoder joint path, unmasked'][0],
                 encoder_flops(model.backbone, 12, 9, ('joint', )))


def test_cfg_options_reach_the_model(tiny_config, capsys):
    assert get_flops.main(
        [str(tiny_config), '--cfg-options', 'model.mask_ratio_a=0.5']) == 0
    assert 'pretraining step (mask a 0.5, v 0.75' in capsys.readouterr().out


@pytest.mark.parametrize('args, message', [
    (['--shape', '32', '48'], 'square images only'),
    (['--shape', '1', '2', '3'], 'takes H or H W'),
    (['--batch-size', '0'], '--batch-size must be positive'),
    (['--cfg-options', 'novalue'], 'KEY=VALUE'),
])
def test_wrong_arguments_exit_2(tiny_config, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        get_flops.main([str(tiny_config), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_unusable_config_or_model_exits_1(tiny_config, tmp_path, capsys):
    missing = tmp_path / 'none.py'
    assert get_flops.main([str(missing)]) == 1
    assert re.search(f'{missing}.*not found', capsys.readouterr().err)
    assert get_flops.main([str(tiny_config), '--shape', '40']) == 1
    assert 'frame_size=40 is not a multiple of patch_size=16' in \
        capsys.readouterr().err
    other = tmp_path / 'other.py'
    other.write_text(f"_base_ = [{str(tiny_config)!r}]\n"
                     "model = dict(_delete_=True, type='Recognizer3D', "
                     "backbone=dict(type='X3D'))\n")
    assert get_flops.main([str(other)]) == 1
    assert 'cannot count the model' in capsys.readouterr().err
