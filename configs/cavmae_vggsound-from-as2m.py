# Additional CAV-MAE pretraining on VGGSound from the AudioSet-2M model
# (official egs/vggsound/run_cavmae_pretrain_as.sh): lr 5e-5, 10 epochs,
# global batch 120 (4 GPUs x 30); the schedule's first decay (epoch 10)
# falls after the last epoch, as in the official run.
# Starts from CAV-MAE-Scale++ (model zoo: cavmae-scale++_as2m).
_base_ = ['./cavmae_as2m.py']

model = dict(init_cfg=dict(checkpoint='checkpoints/cav-mae-scale++.pth'))

train_dataloader = dict(
    batch_size=30,
    dataset=dict(ann_file='vgg_train_cleaned.json',
                 label_file='class_labels_indices_vgg.csv',
                 data_root='data/vggsound'))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10], gamma=0.5)
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=10, val_interval=1)
auto_scale_lr = dict(enable=False, base_batch_size=120)
