# CAV-MAE Sync finetuning on AudioSet-2M, audio-visual: their finetuning
# model (CAVMAEFT, aggregate='self_attention_cls': the audio and visual
# global tokens of each of a clip's 16 frames, a class token attending to
# them) from the Sync pretrained checkpoint. A sample is a clip: its 16
# frames and their audio segments (sync_frames.py).
# The official repository has no finetuning script or recipe ("coming
# soon") and the paper gives none of these values: optimisation, sampling,
# label smoothing and evaluation are CAV-MAE's AudioSet-2M recipe
# (cavmae-ft_as2m.py); no audio augmentation and no mixup, as their data
# loader (mixing 16-frame clips is not defined there). 12 clips per GPU
# are 192 frame-pairs per step.
_base_ = ['./cavmae-ft_as2m.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_recognizer
train_targets = dict(type='EncodeLabels', label_smooth=_base_.label_smooth)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=_base_.dataset_type,
        ann_file=_base_.ann_file_train,
        label_file=_base_.label_file,
        data_root=_base_.data_root,
        multi_label=_base_.multi_label,
        pipeline=[*_base_.sync_clip_load, train_targets, _base_.sync_pack]))
eval_pipeline = [*_base_.sync_clip_load, _base_.eval_targets, _base_.sync_pack]
val_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
test_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
