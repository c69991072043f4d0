# CAV-MAE Sync finetuning on AudioSet-20K (cavmae-sync-ft_as20k.py) with the
# audio front end on the GPU (see sync_fbank_on_device in
# _base_/datasets/sync_frames.py): the loaders ship each clip's waveform and
# its 16 frame slots, the 16 segments are cut on the device. The inputs
# equal the CPU recipe's within 1e-4 (tests/configs/test_recipes.py).
_base_ = ['./cavmae-sync-ft_as20k.py']

model = dict(
    data_preprocessor=dict(fbank_on_device=_base_.sync_fbank_on_device))
train_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.sync_waveform_clip_load, _base_.train_targets,
        _base_.sync_waveform_pack
    ]))
eval_pipeline = [
    *_base_.sync_waveform_clip_load, _base_.eval_targets,
    _base_.sync_waveform_pack
]
val_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
test_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
