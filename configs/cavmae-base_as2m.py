# CAV-MAE-Base pretraining on AudioSet-2M (official
# egs/audioset/run_cavmae_pretrain_base.sh): as Scale++ but lr 5e-5 and
# global batch 48 (4 GPUs x 12).
_base_ = ['./cavmae_as2m.py']

train_dataloader = dict(batch_size=12)
optim_wrapper = dict(optimizer=dict(lr=5e-5))
auto_scale_lr = dict(enable=False, base_batch_size=48)
