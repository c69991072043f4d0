# CAV-MAE-Scale++ pretraining on AudioSet-2M (official
# egs/audioset/run_cavmae_pretrain_scale++.sh): lr 2e-4, 25 epochs, global
# batch 256 (4 GPUs x 64), MultiStep x0.5 from epoch 10 every 5, norm_pix,
# contrastive weight 0.01, 75% unstructured masking, noise augmentation.
# Initialise from tools/adapt_imagenet_mae.py's output via load_from.
_base_ = [
    '_base_/models/cavmae.py', '_base_/schedules/adam_multistep.py',
    '_base_/default_runtime.py'
]

optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 15, 20],
         gamma=0.5)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=25, val_interval=1)
# lr 2e-4 is for 256 clips per step; other GPU counts scale it linearly.
auto_scale_lr = dict(enable=False, base_batch_size=256)
