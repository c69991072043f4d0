# CAV-MAE Sync's data (the official src/dataloader_sync.py): per clip, the
# kaldi fbank of the whole clip padded or cut to 1024 frames and normalised
# with the AudioSet statistics (also for VGGSound, as their retrieval
# script), then for each chosen frame of the clip's sync_total_frame (16)
# the 416-frame segment centred on it (AlignAudioToFrames; its length is
# the model's input_geometry). No audio augmentation: their loader applies
# none (no SpecAugment, noise or mixup). It inherits the model pieces (for
# the frame count) and defines new names only, so that a Sync config
# inherits it next to a CAV-MAE one.
_base_ = ['../models/cavmae_sync.py']

sync_audio_frontend = dict(
    type='AudioFrontEnd', mean=-5.081, std=4.4849, clip_length=1024)
sync_align = dict(type='AlignAudioToFrames')
sync_frames = _base_.sync_total_frame
sync_pack = dict(
    type='PackActionInputs',
    collect_keys=('audios', 'imgs'),
    meta_keys=('video_id', 'frame_inds'))
sync_images = [dict(type='LoadFrames'), dict(type='ResizeCenterCrop')]

# pretraining: one frame at random and its segment
sync_train_pipeline = [
    dict(type='LoadAudio'), sync_audio_frontend,
    dict(type='SelectFrames', mode='random', num_frames=sync_frames),
    sync_align, *sync_images, sync_pack
]
# evaluation of the pretraining losses: the middle frame (their 'eval'
# mode: frame total_frame // 2)
sync_val_pipeline = [
    dict(type='LoadAudio'), sync_audio_frontend,
    dict(type='SelectFrames', mode='fixed', num_frames=sync_frames),
    sync_align, *sync_images, sync_pack
]
# the same two straight from video files (datalists of build_datalist.py
# --video-dir): DecodeOfficialFrames reads the frames the official
# extraction of 16 frames would write
sync_train_pipeline_videos = [
    dict(type='DecodeAudio'), sync_audio_frontend,
    dict(type='DecodeOfficialFrames', mode='random', num_frames=sync_frames),
    sync_align,
    dict(type='ResizeCenterCrop'), sync_pack
]
sync_val_pipeline_videos = [
    dict(type='DecodeAudio'), sync_audio_frontend,
    dict(type='DecodeOfficialFrames', mode='fixed', num_frames=sync_frames),
    sync_align,
    dict(type='ResizeCenterCrop'), sync_pack
]
# retrieval and clip classification: all 16 frames, each with its segment
# (classification configs add their targets before sync_pack)
sync_clip_load = [
    dict(type='LoadAudio'), sync_audio_frontend,
    dict(type='SelectFrames', mode='all', num_frames=sync_frames), sync_align,
    *sync_images
]
sync_clip_pipeline = [*sync_clip_load, sync_pack]
# the same straight from video files (DecodeOfficialFrames reads the 16
# frames the official extraction would write)
sync_clip_load_videos = [
    dict(type='DecodeAudio'), sync_audio_frontend,
    dict(type='DecodeOfficialFrames', mode='all', num_frames=sync_frames),
    sync_align,
    dict(type='ResizeCenterCrop')
]
sync_clip_pipeline_videos = [*sync_clip_load_videos, sync_pack]

# The audio front end on the GPU (the -gpufbank recipes): the loaders ship
# mean-removed waveforms (WaveformAsInput in place of AudioFrontEnd and
# AlignAudioToFrames) and each clip's frame slots; the data preprocessor's
# FbankOnDevice, built from the same front-end arguments, makes the clip
# fbank for the whole batch on the device and cuts there the segment of
# each chosen frame (equal to the CPU route within 1e-4).
sync_fbank_on_device = dict(
    sync_audio_frontend,
    type='FbankOnDevice',
    target_length=_base_.sync_input_geometry.target_length)
sync_waveform = [dict(type='LoadAudio'), dict(type='WaveformAsInput')]
sync_waveform_pack = dict(
    type='PackActionInputs',
    collect_keys=('waveforms', 'imgs'),
    meta_keys=('video_id', 'frame_inds', 'frame_slots', 'num_frames'))
sync_waveform_clip_load = [
    *sync_waveform,
    dict(type='SelectFrames', mode='all', num_frames=sync_frames), *sync_images
]
