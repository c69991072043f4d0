# CAV-MAE Sync finetuning on AudioSet-20K, audio-visual: the model and data
# of cavmae-sync-ft_as2m.py; optimisation and sampling of CAV-MAE's
# AudioSet-20K recipe (cavmae-ft_as20k.py: lr 5e-5, head x100, 15 epochs,
# no balanced sampling), the paper giving none.
_base_ = ['./cavmae-sync-ft_as2m.py']

train_dataloader = dict(
    batch_size=9,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(ann_file='audioset_20k_cleaned.json'))
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
train_cfg = dict(max_epochs=15)
auto_scale_lr = dict(enable=False, base_batch_size=36)
