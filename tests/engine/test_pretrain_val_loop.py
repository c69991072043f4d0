"""Pretraining validation as the official script: the losses on the
evaluation list every epoch, the best model kept by their total."""
import json

import torch
from mmengine.runner import Runner

from cavmae_mm.config import adapt_to_machine, load_config
from tests.helpers import ROOT

VAL = '''
val_dataloader = test_dataloader
val_cfg = dict(type='PretrainLossValLoop')
val_evaluator = dict(type='PretrainLossMetric')
default_hooks = dict(checkpoint=dict(interval=1, save_best='pretrain/loss',
                                     rule='less'))
train_cfg = dict(max_epochs=2, val_interval=1)
'''


def test_losses_every_epoch_and_best_checkpoint(tiny_config, tmp_path):
    path = tmp_path / 'tiny_val.py'
    path.write_text(tiny_config.read_text() + VAL)
    cfg = load_config(str(path))
    cfg.work_dir = str(tmp_path / 'work')
    adapt_to_machine(cfg)  # as the tools: no AMP without a GPU
    runner = Runner.from_cfg(cfg)
    runner.train()

    # the loop's numbers are the clip-weighted means of the model's losses
    # on the same masks (seed 0), and the training RNG is left alone
    model = runner.model
    state = torch.random.get_rng_state()
    metrics = runner.val_loop.run()
    assert torch.equal(torch.random.get_rng_state(), state)
    loader = runner.val_dataloader
    sums, clips = {}, 0
    torch.manual_seed(0)
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            losses = model(**data, mode='loss')
            size = len(data['inputs']['audios'])
            clips += size
            for key, value in losses.items():
                sums[key] = sums.get(key, 0.0) + float(value) * size
    expected = {f'pretrain/{k}': v / clips for k, v in sums.items()}
    expected['pretrain/loss'] = sum(v for k, v in expected.items()
                                    if k.split('/')[1].startswith('loss'))
    assert metrics.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(metrics[key] - value) < 1e-5, key

    work = tmp_path / 'work'
    assert len(list(work.glob('best_pretrain_loss_epoch_*.pth'))) == 1
    (scalars, ) = work.glob('*/vis_data/scalars.json')
    logged = [json.loads(ln) for ln in scalars.read_text().splitlines()]
    assert sum('pretrain/loss_mae_a' in r for r in logged) >= 2  # per epoch


def test_pretraining_recipes_validate():
    for name in ('cavmae_as2m', 'cavmae_vggsound'):
        cfg = load_config(str(ROOT / 'configs' / f'{name}.py'))
        assert cfg.val_cfg.type == 'PretrainLossValLoop'
        assert cfg.val_evaluator.type == 'PretrainLossMetric'
        assert cfg.default_hooks.checkpoint.save_best == 'pretrain/loss'
        assert cfg.default_hooks.checkpoint.rule == 'less'
        steps = [t['type'] for t in cfg.val_dataloader.dataset.pipeline]
        assert 'FbankNoiseRoll' not in steps  # no augmentation
