# CAV-MAE-Scale++ pretraining on AudioSet-2M (official
# egs/audioset/run_cavmae_pretrain_scale++.sh): lr 2e-4, 25 epochs, global
# batch 256 (4 GPUs x 64), MultiStep x0.5 from epoch 10 every 5, norm_pix,
# contrastive weight 0.01, 75% unstructured masking; data: noise
# augmentation, no SpecAugment, no mixup, no balanced sampling.
# Starts from the ImageNet-MAE initialisation as the official scripts (model
# zoo: cavmae-init_imagenet-mae, the official ori_mae_11.pth as released, or
# tools/model_converters/adapt_imagenet_mae.py's output).
_base_ = [
    '_base_/models/cavmae.py', '_base_/datasets/audioset_pretrain.py',
    '_base_/schedules/adam_multistep.py', '_base_/default_runtime.py'
]

model = dict(
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/cav-mae-imagenet-init.pth'))

# As the official script: the pretraining losses on the evaluation list
# (the dataset base's val_dataloader: frame 5, no augmentation) after every
# epoch, on the same masks each time; the best model is kept by their total.
val_cfg = dict(type='PretrainLossValLoop')
val_evaluator = dict(type='PretrainLossMetric')
test_dataloader = None
test_cfg = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(save_best='pretrain/loss', rule='less'))
# An AS-2M epoch is ~7,800 steps: also keep the latest iteration checkpoint,
# which `tools/train.py --resume` continues mid-epoch (the loop skips the
# batches already trained on).
custom_hooks = [
    dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=1,
        save_last=False)
]

optim_wrapper = dict(optimizer=dict(lr=2e-4))
# 25 epochs, MultiStep x0.5 at 10, 15, 20: the schedule base's
# lr 2e-4 is for 256 clips per step; other GPU counts scale it linearly.
auto_scale_lr = dict(enable=False, base_batch_size=256)
