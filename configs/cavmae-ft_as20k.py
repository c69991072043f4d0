# CAV-MAE finetuning on AudioSet-20K, audio-visual (official
# egs/audioset/run_cavmae_ft_bal.sh): from CAV-MAE-Scale++, lr 5e-5, head lr
# x100, 15 epochs, global batch 36 (4 GPUs x 9), MultiStep x0.5 from epoch 5
# every 1, no balanced sampling, mixup 0.5, SpecAugment 48/192, noise, label
# smoothing 0.1, weight averaging of epochs 3-15. Published: 42.0 mAP
# (Scale++ 42.2).
_base_ = ['./cavmae-ft_as2m.py']

train_dataloader = dict(
    batch_size=9,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(dataset=dict(ann_file='audioset_20k_cleaned.json')))
optim_wrapper = dict(
    optimizer=dict(lr=5e-5),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=100.0)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=list(range(5, 15)),
        gamma=0.5)
]
train_cfg = dict(max_epochs=15)  # the loop: the schedule base's
auto_scale_lr = dict(enable=False, base_batch_size=36)
