# `make demo`: a small CAV-MAE pretrained on the synthetic set, on the CPU.
# demo/demo.py fills in data_root; sizes are small so that the whole demo
# runs in minutes on two cores.
_base_ = ['../_base_/default_runtime.py']

input_geometry = dict(target_length=128, num_mel_bins=128, frame_size=64)
model = dict(
    type='CAVMAE',
    backbone=dict(
        type='CAVMAEEncoder',
        embed_dim=96,
        depth=4,
        modality_specific_depth=3,
        num_heads=4),
    neck=dict(
        type='CAVMAEDecoder',
        embed_dim=96,
        decoder_embed_dim=64,
        depth=2,
        num_heads=4),
    reconstruction_head=dict(type='CAVMAEReconstructionHead', norm_pix=True),
    contrastive_head=dict(type='CAVMAEContrastiveHead', loss_weight=0.1),
    mask_ratio_a=0.75,
    mask_ratio_v=0.75)

data_root = 'work_dirs/demo/data'
train_pipeline = [
    dict(type='LoadAudio'),
    dict(type='AudioFrontEnd'),
    dict(type='SelectFrames', mode='random'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', )),
]
# retrieval on the middle frame
test_pipeline = [
    dict(type='LoadAudio'),
    dict(type='AudioFrontEnd'),
    dict(type='SelectFrames'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', )),
]
dataset = dict(
    type='AudioVisualDataset',
    data_root=data_root,
    label_file='labels.csv',
    multi_label=False)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(dataset, ann_file='train.json', pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        dataset, ann_file='test.json', test_mode=True, pipeline=test_pipeline))
test_evaluator = dict(type='RetrievalMetric')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(
        type='Adam', lr=1e-3, betas=(0.95, 0.999), weight_decay=5e-7))
param_scheduler = []
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=15)
default_hooks = dict(
    checkpoint=dict(interval=100, save_last=True, save_best=None),
    logger=dict(interval=5))
randomness = dict(seed=0)
