# `make demo DEMO_ARGS=--sync`: finetune the demo's pretrained CAV-MAE Sync
# (demo/demo.py sets model.init_cfg.checkpoint) as a clip classifier of the
# synthetic classes: the frame-attention head over the 4 frames' audio and
# visual global tokens; cross-entropy, top-1 accuracy.
_base_ = ['./cavmae-sync_demo_pretrain.py']

model = dict(
    _delete_=True,
    type='CAVMAESyncRecognizer',
    backbone=dict(_base_.model.backbone, trainable_pos_embed=True),
    cls_head=dict(
        type='CAVMAEFrameAttentionHead',
        num_classes=4,
        in_channels=2 * _base_.model.backbone.embed_dim,
        num_frames=_base_.num_frames,
        depth=2,
        num_heads=4,
        loss_cls=dict(type='CrossEntropyLoss'),
        average_clips='prob'),
    init_cfg=dict(
        type='Pretrained', checkpoint='work_dirs/demo/pretrain/epoch_15.pth'))
train_dataloader = dict(dataset=dict(pipeline=_base_.test_pipeline))
test_evaluator = dict(
    _delete_=True,
    type='AccMetric',
    metric_list=('top_k_accuracy', ),
    metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=10.0)}))
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=8)
