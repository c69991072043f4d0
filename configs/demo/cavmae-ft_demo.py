# `make demo`: finetune the demo's pretrained CAV-MAE (demo/demo.py sets
# model.init_cfg.checkpoint) as an audio-visual classifier of the synthetic
# classes;
# cross-entropy, top-1 accuracy, test on all 10 frames of each clip.
_base_ = ['./cavmae_demo_pretrain.py']

model = dict(
    _delete_=True,
    type='CAVMAERecognizer',
    backbone=dict(_base_.model.backbone, trainable_pos_embed=True),
    cls_head=dict(
        type='CAVMAEClsHead',
        num_classes=4,
        in_channels=_base_.model.backbone.embed_dim,
        loss_cls=dict(type='CrossEntropyLoss'),
        average_clips='prob'),
    init_cfg=dict(
        type='Pretrained', checkpoint='work_dirs/demo/pretrain/epoch_15.pth'))
test_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadAudio'),
        dict(type='AudioFrontEnd'),
        dict(type='SelectFrames', mode='all'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop'),
        dict(type='EncodeLabels', as_index=True),
        dict(
            type='PackActionInputs',
            collect_keys=('audios', 'imgs'),
            meta_keys=('video_id', ))
    ]))
test_evaluator = dict(
    _delete_=True,
    type='AccMetric',
    metric_list=('top_k_accuracy', ),
    metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=10.0)}))
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=8)
