# CAV-MAE finetuning on VGGSound (official egs/vggsound/run_cavmae_ft.sh):
# from CAV-MAE-Scale++, lr 1e-4, head lr x10, 10 epochs, global batch 48
# (4 GPUs x 12), MultiStep x0.5 from epoch 2 every 1, balanced sampling,
# mixup 0.5, SpecAugment 48/192, noise, label smoothing 0.1, cross-entropy,
# top-1 accuracy, weight averaging of epochs 3-10. Published: 65.5 (65.9
# from the additionally VGGSound-pretrained model).
_base_ = [
    '_base_/models/cavmae_ft.py', '_base_/datasets/vggsound.py',
    '_base_/schedules/adam_multistep.py', '_base_/default_runtime.py'
]

model = dict(
    cls_head=dict(
        num_classes=309,
        loss_cls=dict(type='CrossEntropyLoss'),
        average_clips='prob'))
train_dataloader = dict(batch_size=12)
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=list(range(2, 10)),
        gamma=0.5)
]
# keep the best epoch by top-1 accuracy
default_hooks = dict(checkpoint=dict(save_best='acc/top1', rule='greater'))
train_cfg = dict(max_epochs=10)  # the loop: the schedule base's
auto_scale_lr = dict(enable=False, base_batch_size=48)
