# CAV-MAE finetuning on AudioSet-2M (official
# egs/audioset/run_cavmae_ft_full.sh): from CAV-MAE-Scale++, lr 1e-5, head
# lr x50, 10 epochs, global batch 48 (4 GPUs x 12), MultiStep x0.5 from
# epoch 2 every 1, BCE, mAP, balanced sampling, mixup 0.5, SpecAugment
# 48/192, noise, label smoothing 0.1, weight averaging of epochs 1-10 (the
# tools/misc/average_checkpoints.py). Published: 51.2 mAP.
_base_ = [
    '_base_/models/cavmae_ft.py', '_base_/datasets/audioset.py',
    '_base_/schedules/adam_multistep.py', '_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=12)
optim_wrapper = dict(
    optimizer=dict(lr=1e-5),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=50.0)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=list(range(2, 10)),
        gamma=0.5)
]
# keep the best epoch by mAP; the latest iteration checkpoint too, for a
# mid-epoch --resume
default_hooks = dict(checkpoint=dict(save_best='audioset/mAP', rule='greater'))
custom_hooks = [
    dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=1,
        save_last=False)
]
train_cfg = dict(max_epochs=10)  # the loop: the schedule base's
auto_scale_lr = dict(enable=False, base_batch_size=48)
