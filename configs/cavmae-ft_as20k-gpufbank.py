# The AS-20K finetuning recipe with the audio pipeline on the GPU: the data
# loader ships mean-removed waveforms (WaveformAsInput, packed as
# 'waveforms', in place of AudioFrontEnd) and the data preprocessor's
# FbankOnDevice, built from the same arguments as the pipeline's
# AudioFrontEnd, computes kaldi fbank, padding, SpecAugment 48/192,
# normalisation and noise/roll for the whole batch on the device (the
# augmentations in training only). Use it
# where the CPU cores cannot keep up; the evaluation inputs equal the CPU
# pipeline's within 1e-4 (tests/configs/test_recipes.py).
_base_ = ['./cavmae-ft_as20k.py']

model = dict(
    data_preprocessor=dict(
        fbank_on_device=dict(
            _base_.audio_frontend,
            type='FbankOnDevice',
            freqm=_base_.freqm,
            timem=_base_.timem,
            noise=True)))

# the loaders ship waveforms: AudioFrontEnd gives way to WaveformAsInput
waveform_pack = dict(
    type='PackActionInputs',
    collect_keys=('waveforms', 'imgs'),
    meta_keys=('video_id', 'frame_inds'))
train_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.mix_and_label,
        dict(type='WaveformAsInput'),
        dict(
            type='PackActionInputs',
            collect_keys=('waveforms', 'imgs'),
            meta_keys=('video_id', 'mix_lambda')),
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadAudio'),
        dict(type='WaveformAsInput'),
        dict(type='SelectFrames', mode='fixed', frame_use=5),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop'),
        _base_.eval_targets,
        waveform_pack,
    ]))
test_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadAudio'),
        dict(type='WaveformAsInput'),
        dict(type='SelectFrames', mode='all'),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop'),
        _base_.eval_targets,
        waveform_pack,
    ]))
