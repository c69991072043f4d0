# VGGSound data of the official recipes: 309 classes, single label,
# accuracy. The same pipelines as AudioSet (including its fbank statistics,
# as the reference), but evaluation labels are class indices for top-k
# accuracy.
_base_ = ['./audioset.py']

data_root = 'data/vggsound'
label_file = 'class_labels_indices_vgg.csv'
vgg_dataset = dict(
    data_root=data_root, label_file=label_file, multi_label=False)

val_pipeline = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=1024),
    {{_base_.audio_norm}},
    dict(type='SelectFrames', mode='fixed', frame_use=5),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]
test_pipeline = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=1024),
    {{_base_.audio_norm}},
    dict(type='SelectFrames', mode='all'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]

# straight from video files (see the AudioSet base)
val_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=1024),
    {{_base_.audio_norm}},
    dict(type='DecodeOfficialFrames', mode='fixed', frame_use=5),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]
test_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=1024),
    {{_base_.audio_norm}},
    dict(type='DecodeOfficialFrames', mode='all'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', as_index=True),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]

train_dataloader = dict(
    sampler=dict(weights_file='data/vggsound/vgg_train_cleaned_weight.csv'),
    dataset=dict(
        dataset=dict(ann_file='vgg_train_cleaned.json', **vgg_dataset)))
val_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_cleaned.json', pipeline=val_pipeline, **
        vgg_dataset))
test_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_cleaned.json',
        pipeline=test_pipeline,
        **vgg_dataset))
val_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', ),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
