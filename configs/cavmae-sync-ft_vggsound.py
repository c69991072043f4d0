# CAV-MAE Sync finetuning on VGGSound (309 classes, single label): the
# model and data of cavmae-sync-ft_as2m.py; optimisation, sampling, loss
# and metric of CAV-MAE's VGGSound recipe (cavmae-ft_vggsound.py), the
# paper giving none.
_base_ = ['./cavmae-ft_vggsound.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_recognizer
train_targets = dict(type='EncodeLabels', label_smooth=_base_.label_smooth)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=_base_.dataset_type,
        ann_file=_base_.ann_file_train,
        **_base_.dataset_args,
        pipeline=[*_base_.sync_clip_load, train_targets, _base_.sync_pack]))
eval_pipeline = [*_base_.sync_clip_load, _base_.eval_targets, _base_.sync_pack]
val_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
test_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
