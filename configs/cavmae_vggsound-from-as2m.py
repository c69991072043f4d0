# Additional CAV-MAE pretraining on VGGSound from the AudioSet-2M model
# (official egs/vggsound/run_cavmae_pretrain_as.sh): the VGGSound
# pretraining recipe with lr 5e-5 for 10 epochs, starting from
# CAV-MAE-Scale++ (model zoo: cavmae-scale++_as2m); the schedule's first
# decay (epoch 10) falls after the last epoch, as in the official run.
_base_ = ['./cavmae_vggsound.py']

model = dict(init_cfg=dict(checkpoint='checkpoints/cav-mae-scale++.pth'))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10], gamma=0.5)
]
train_cfg = dict(max_epochs=10)
