# CAV-MAE Sync pretraining on AudioSet-2M (cavmae-sync_as2m.py) with the
# audio front end on the GPU (see sync_fbank_on_device in
# _base_/datasets/sync_frames.py): the loaders ship waveforms and the chosen
# frame's slot, the 416-frame segment is cut on the device. Use it where
# the CPU cores cannot keep up; the inputs equal the CPU recipe's within
# 1e-4 (tests/configs/test_recipes.py).
_base_ = ['./cavmae-sync_as2m.py']

model = dict(
    data_preprocessor=dict(fbank_on_device=_base_.sync_fbank_on_device))
train_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.sync_waveform,
        dict(
            type='SelectFrames', mode='random', num_frames=_base_.sync_frames),
        *_base_.sync_images, _base_.sync_waveform_pack
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.sync_waveform,
        dict(type='SelectFrames', mode='fixed', num_frames=_base_.sync_frames),
        *_base_.sync_images, _base_.sync_waveform_pack
    ]))
