# CAV-MAE Sync pretraining on VGGSound: the AudioSet-2M Sync recipe
# (cavmae-sync_as2m.py) on the data and with the optimisation values of
# CAV-MAE's VGGSound recipe (cavmae_vggsound.py; the paper gives none).
_base_ = ['./cavmae_vggsound.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_pretrain_model
train_dataloader = dict(dataset=dict(pipeline=_base_.sync_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.sync_val_pipeline))
