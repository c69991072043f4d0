# CAV-MAE Sync pretraining on AudioSet-2M. Model and data as the official
# code (configs/_base_/models/cavmae_sync.py, _base_/datasets/sync_frames.py):
# per sample one random frame of 16 and the 416-frame audio segment centred
# on it, global and register tokens, InfoNCE on the global tokens (weight
# 0.01), 75% unstructured masking, no audio augmentation.
# The official repository has no training script, and the paper gives no
# optimisation values here: lr, epochs, batch and schedule are CAV-MAE's
# AudioSet-2M recipe (cavmae_as2m.py), stated there, not Sync's.
_base_ = ['./cavmae_as2m.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_pretrain_model
train_dataloader = dict(dataset=dict(pipeline=_base_.sync_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.sync_val_pipeline))
