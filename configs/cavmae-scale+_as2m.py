# CAV-MAE-Scale+ pretraining on AudioSet-2M (official
# egs/audioset/run_cavmae_pretrain_scale+.sh): as Scale++ but lr 1e-4 and
# global batch 120 (4 GPUs x 30). The released Scale+ checkpoint was
# trained with batch 108.
_base_ = ['./cavmae_as2m.py']

train_dataloader = dict(batch_size=30)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=120)
