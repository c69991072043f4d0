# AudioSet finetuning data (the official finetuning scripts): balanced
# sampling, mixup 0.5, SpecAugment 48/192, noise, label smoothing 0.1;
# evaluation data from audioset_common.py.
_base_ = ['./audioset_common.py']

ann_file_train = 'audioset_2m_cleaned.json'
weights_file_train = 'data/audioset/audioset_2m_cleaned_weight.csv'
freqm, timem = 48, 192
label_smooth = 0.1
mixup = 0.5

# train: load up to the point where clips are mixed ...
train_load_pipeline = [
    dict(type='LoadAudio'),
    dict(type='SelectFrames', mode='random'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
]
# ... the same straight from video files (see audioset_common.py) ...
train_load_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='DecodeOfficialFrames', mode='random'),
    dict(type='ResizeCenterCrop'),
]
# ... then, in the mixup wrapper (which fetches the partner): mixing, the
# (mixed) target, and the reference's audio order. The frames of a mixed
# sample stay uint8 and are mixed on the device by the data preprocessor
# (the same values; mix_lambda in meta_keys).
mix_and_label = [
    dict(
        type='AudioVisualMixup', prob=mixup, alpha=10.0,
        frames_on_device=True),
    dict(type='EncodeLabels', label_smooth=label_smooth),
]
train_pipeline = [
    *mix_and_label,
    dict(_base_.audio_frontend, freqm=freqm, timem=timem, noise=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'mix_lambda')),
]

train_dataloader = dict(
    _base_.loader_settings,
    batch_size=12,
    # every official training loader drops the last incomplete batch
    drop_last=True,
    sampler=dict(type='BalancedSampler', weights_file=weights_file_train),
    dataset=dict(
        type='AudioVisualMixupDataset',
        pipeline=train_pipeline,
        dataset=dict(
            type=_base_.dataset_type,
            ann_file=ann_file_train,
            label_file=_base_.label_file,
            data_root=_base_.data_root,
            multi_label=_base_.multi_label,
            pipeline=train_load_pipeline)))
