# CAV-MAE Sync pretraining on AudioSet-2M (cavmae-sync_as2m.py) with the
# audio front end on the GPU: the loaders ship mean-removed waveforms
# (WaveformAsInput in place of AudioFrontEnd and AlignAudioToFrames) and
# each clip's chosen frame slots; the data preprocessor's FbankOnDevice,
# built from the pipeline's AudioFrontEnd arguments, makes every clip's
# 1024-frame fbank for the whole batch on the device and cuts the 416-frame
# segment centred on each chosen frame. Use it where the CPU cores cannot
# keep up; the inputs equal the CPU recipe's within 1e-4
# (tests/configs/test_recipes.py).
_base_ = ['./cavmae-sync_as2m.py']

model = dict(
    data_preprocessor=dict(
        fbank_on_device=dict(
            _base_.sync_audio_frontend,
            type='FbankOnDevice',
            target_length=_base_.input_geometry.target_length)))

# the loaders ship waveforms and the frame slots the segments are cut at
sync_waveform = [dict(type='LoadAudio'), dict(type='WaveformAsInput')]
sync_waveform_pack = dict(
    type='PackActionInputs',
    collect_keys=('waveforms', 'imgs'),
    meta_keys=('video_id', 'frame_inds', 'frame_slots', 'num_frames'))
train_dataloader = dict(
    dataset=dict(pipeline=[
        *sync_waveform,
        dict(
            type='SelectFrames', mode='random', num_frames=_base_.sync_frames),
        *_base_.sync_images, sync_waveform_pack
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[
        *sync_waveform,
        dict(type='SelectFrames', mode='fixed', num_frames=_base_.sync_frames),
        *_base_.sync_images, sync_waveform_pack
    ]))
