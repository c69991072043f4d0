# AudioSet-2M pretraining data (the official pretraining scripts): noise
# augmentation, no SpecAugment, no mixup, no balanced sampling; evaluation
# data from audioset_common.py.
_base_ = ['./audioset_common.py']

ann_file_train = 'audioset_2m_cleaned.json'

train_pipeline = [
    dict(type='LoadAudio'),
    dict(_base_.audio_frontend, noise=True),
    dict(type='SelectFrames', mode='random'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', )),
]
# the same straight from video files (see audioset_common.py)
train_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(_base_.audio_frontend, noise=True),
    dict(type='DecodeOfficialFrames', mode='random'),
    dict(type='ResizeCenterCrop'),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', )),
]

train_dataloader = dict(
    _base_.loader_settings,
    batch_size=64,
    # every official training loader drops the last incomplete batch
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=_base_.dataset_type,
        ann_file=ann_file_train,
        label_file=_base_.label_file,
        data_root=_base_.data_root,
        pipeline=train_pipeline))
