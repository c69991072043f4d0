"""apis.inpaint and tools/visualizations/inpaint.py."""
import torch
from PIL import Image

from cavmae_mm.apis import inpaint
from cavmae_mm.config import load_config
from cavmae_mm.registry import MODELS
from tests.helpers import seed_all, tiny_inputs, tiny_pretrain_cfg
from tests.tool_loader import load_tool

tool = load_tool('tools/visualizations/inpaint.py')


def test_reconstruction_keeps_visible_patches(build):
    for norm_pix in (False, True):
        cfg = tiny_pretrain_cfg()
        cfg['reconstruction_head']['norm_pix'] = norm_pix
        model = build(cfg)
        model.init_weights()
        model.eval()
        inputs = tiny_inputs()
        seed_all(0)
        out = inpaint(model, inputs)
        visual = out['visual']
        assert visual['reconstruction'].shape == inputs['imgs'].shape
        # a frame of 2 x 2 patches; mask 0.75 hides int(4 * .75) = 3 of 4
        hidden = out['mask_v'].view(2, 1, 2, 1, 2,
                                    1).expand(2, 3, 2, 16, 2,
                                              16).reshape(2, 3, 32, 32).bool()
        assert torch.equal(visual['reconstruction'][~hidden],
                           inputs['imgs'][~hidden])
        assert torch.equal(visual['masked'][hidden],
                           torch.zeros_like(visual['masked'][hidden]))
        assert torch.allclose(visual['reconstruction'][hidden],
                              visual['prediction'][hidden])
        assert out['audio']['original'].shape == (2, 1, 32, 64)


def test_tool_writes_one_figure_per_clip(tiny_config, tmp_path):
    cfg = tiny_config
    model = MODELS.build(load_config(str(cfg)).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ck.pth')
    assert tool.main([
        str(cfg),
        str(tmp_path / 'ck.pth'), '--out-dir',
        str(tmp_path / 'figs'), '--num', '2'
    ]) == 0
    figures = sorted((tmp_path / 'figs').glob('*.png'))
    assert [f.name for f in figures] == ['c0_000.png', 'c0_001.png']
    assert Image.open(figures[0]).size[0] > 300


def test_sync_reconstruction_keeps_visible_patches(build):
    """A CAV-MAE Sync model inpaints its segment and frame: the decoder
    never sees its global and register tokens."""
    from tests.helpers import TINY_ENCODER
    cfg = tiny_pretrain_cfg(
        backbone=dict(
            TINY_ENCODER, type='CAVMAESyncEncoder', num_register_tokens=2),
        contrastive_head=dict(type='CAVMAEContrastiveHead', pooling='global'))
    cfg['reconstruction_head']['norm_pix'] = False
    model = build(cfg)
    model.init_weights()
    model.eval()
    inputs = tiny_inputs()
    seed_all(0)
    out = inpaint(model, inputs)
    kept = out['mask_a'].view(2, 1, 2, 1, 4,
                              1).expand(2, 1, 2, 16, 4,
                                        16).reshape(2, 1, 32, 64) == 0
    original = out['audio']['original']
    assert torch.equal(out['audio']['reconstruction'][kept], original[kept])
    assert out['audio']['reconstruction'].shape == (2, 1, 32, 64)


def test_sync_inpainting_config_tests_one_frame_and_its_segment():
    cfg = load_config('configs/cavmae-sync-inpaint_vggsound.py')
    assert cfg.model.backbone.type == 'CAVMAESyncEncoder'
    assert cfg.model.reconstruction_head.norm_pix is False
    steps = {t['type']: t for t in cfg.test_dataloader.dataset.pipeline}
    assert steps['SelectFrames']['mode'] == 'fixed'
    assert steps['SelectFrames']['num_frames'] == 16
    assert 'AlignAudioToFrames' in steps
