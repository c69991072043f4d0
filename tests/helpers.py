"""Helpers shared by the tests: tiny CAV-MAE configs, random inputs and
weights, captured log lines, the repository root and a tiny runner config."""
import contextlib
import copy
import logging
import random
from pathlib import Path

import torch
from mmengine.logging import MMLogger

ROOT = Path(__file__).resolve().parents[1]

# Tiny sizes: audio 64 frames x 32 bins (2 x 4 patches of 16), image 32x32
# (2 x 2 patches), width 32, 3 blocks (2 specific + 1 shared), decoder 2.
TINY = dict(frame_size=32, target_length=64, num_mel_bins=32, patch_size=16)
TINY_ENCODER = dict(
    type='CAVMAEEncoder',
    embed_dim=32,
    depth=3,
    modality_specific_depth=2,
    num_heads=4,
    **TINY)
TINY_DECODER = dict(
    type='CAVMAEDecoder',
    embed_dim=32,
    decoder_embed_dim=16,
    depth=2,
    num_heads=2,
    **TINY)
HEADS, DEC_HEADS = 4, 2


def tiny_pretrain_cfg(**overrides):
    cfg = dict(
        type='CAVMAE',
        backbone=copy.deepcopy(TINY_ENCODER),
        neck=copy.deepcopy(TINY_DECODER),
        reconstruction_head=dict(
            type='CAVMAEReconstructionHead', norm_pix=True),
        contrastive_head=dict(type='CAVMAEContrastiveHead'))
    cfg.update(overrides)
    return cfg


def tiny_recognizer_cfg(num_classes=5, **overrides):
    cfg = dict(
        type='CAVMAERecognizer',
        backbone=dict(TINY_ENCODER, trainable_pos_embed=True),
        cls_head=dict(
            type='CAVMAEClsHead', num_classes=num_classes, in_channels=32))
    cfg.update(overrides)
    return cfg


def randomize_(model, seed=0):
    """Random values for every tensor, norms around 1, so that a wrong
    parameter choice changes the outputs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.state_dict().items():
            noise = torch.randn(param.shape, generator=gen)
            if 'norm' in name and name.endswith('weight'):
                param.copy_(1 + 0.3 * noise)
            else:
                param.copy_(0.2 * noise)
    return model


def tiny_inputs(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return dict(
        audios=torch.randn(
            batch, TINY['target_length'], TINY['num_mel_bins'], generator=gen),
        imgs=torch.randn(
            batch, 3, TINY['frame_size'], TINY['frame_size'], generator=gen))


@contextlib.contextmanager
def logged_lines():
    """The messages MMEngine's current logger emits inside the block (its
    own stream handler writes to a stdout that pytest's capture misses)."""
    lines = []

    class Collect(logging.Handler):

        def emit(self, record):
            lines.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def seed_all(seed):
    torch.manual_seed(seed)
    random.seed(seed)


# A config file for the runner tests: tiny CAV-MAE, synthetic set, batch 2.
TINY_CONFIG = '''
_base_ = [{base!r}, {schedule!r}]
input_geometry = dict(target_length=64, num_mel_bins=32, frame_size=32)
model = dict(
    type='CAVMAE',
    backbone=dict(type='CAVMAEEncoder', embed_dim=32, depth=3,
                  modality_specific_depth=2, num_heads=4),
    neck=dict(type='CAVMAEDecoder', embed_dim=32, decoder_embed_dim=16,
              depth=2, num_heads=2),
    reconstruction_head=dict(type='CAVMAEReconstructionHead', norm_pix=True),
    contrastive_head=dict(type='CAVMAEContrastiveHead'))
audio = [dict(type='LoadAudio'), dict(type='AudioFrontEnd')]
frames = [dict(type='LoadFrames'), dict(type='ResizeCenterCrop'),
          dict(type='PackActionInputs', collect_keys=('audios', 'imgs'),
               meta_keys=('video_id', ))]
data = dict(type='AudioVisualDataset', data_root={root!r},
            ann_file='datalist.json', label_file='labels.csv')
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(data, pipeline=[
        dict(type='LoadAudio'), dict(type='AudioFrontEnd', noise=True),
        dict(type='SelectFrames', mode='random')] + frames))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(data, test_mode=True,
                 pipeline=audio + [dict(type='SelectFrames')] + frames))
test_evaluator = dict(type='RetrievalMetric')
test_cfg = dict(type='TestLoop')
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_epochs=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1, save_best=None),
                     logger=dict(interval=1))
randomness = dict(seed=0)
'''
