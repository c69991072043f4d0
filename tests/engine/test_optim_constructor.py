"""Frozen parameters are summarised in one log line."""
from cavmae_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS
from tests.helpers import logged_lines, tiny_recognizer_cfg


def test_one_line_for_frozen_parameters(build):
    model = build(tiny_recognizer_cfg(modality='audioonly'))
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert len(frozen) > 10
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='CAVMAEOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)),
            paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=10.0)})))
    with logged_lines() as lines:
        wrapper = constructor(model)
    assert not any('is skipped since' in ln for ln in lines)
    (line, ) = [ln for ln in lines if 'frozen parameters' in ln]
    assert line.startswith(f'{len(frozen)} frozen parameters are not '
                           'optimised: backbone.')
    optimised = sum(len(g['params']) for g in wrapper.optimizer.param_groups)
    assert optimised == sum(p.requires_grad for p in model.parameters())
