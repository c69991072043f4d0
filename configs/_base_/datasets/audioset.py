# AudioSet data of the official recipes: 527 classes, multi-label.
# Files as released with the official code (see docs/data_preparation.md):
# datalists with wav/video_path relative to data_root (or absolute), the
# label CSV and the per-sample weight file for balanced sampling.
dataset_type = 'AudioVisualDataset'
data_root = 'data/audioset'
label_file = 'class_labels_indices.csv'
ann_file_train = 'audioset_2m_cleaned.json'
weights_file_train = 'data/audioset/audioset_2m_cleaned_weight.csv'
ann_file_val = 'audioset_eval_cleaned.json'
ann_file_test = 'audioset_eval_cleaned.json'
multi_label = True

# fbank statistics of AudioSet (the reference uses them for VGGSound too)
audio_norm = dict(type='NormalizeFbank', mean=-5.081, std=4.4849)
target_length = 1024
# finetuning augmentation (pretraining configs override what they omit)
freqm, timem = 48, 192
label_smooth = 0.1
mixup = 0.5

# train: load up to the point where clips are mixed ...
train_load_pipeline = [
    dict(type='LoadAudio'),
    dict(type='SelectFrames', mode='random'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=224),
]
# ... then, in the mixup wrapper (which fetches the partner): mixing, the
# (mixed) target, and the reference's audio order.
mix_and_label = [
    dict(type='AudioVisualMixup', prob=mixup, alpha=10.0),
    dict(type='EncodeLabels', label_smooth=label_smooth),
]
train_pipeline = mix_and_label + [
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=target_length),
    dict(type='SpecAugment', freqm=freqm, timem=timem),
    audio_norm,
    dict(type='FbankNoiseRoll'),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'mix_lambda')),
]
val_pipeline = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='SelectFrames', mode='fixed', frame_use=5),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', label_smooth=0.0),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]
# test: all 10 frames of a clip in one pass, predictions averaged
test_pipeline = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='SelectFrames', mode='all'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', label_smooth=0.0),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]

# Straight from video files (datalists written by
# tools/data/build_datalist.py --video-dir: a video path, no wav): each sample
# decodes the audio track (16 kHz, first channel, as the extraction) and the
# frames at the official extraction points (OpenCV seeks, the extraction's
# 224 resize); everything after loading is the offline pipeline's. Use them
# in place of the offline pipelines, e.g. configs/cavmae-ft_as20k-videos.py.
train_load_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='DecodeOfficialFrames', mode='random'),
    dict(type='ResizeCenterCrop', size=224),
]
val_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='DecodeOfficialFrames', mode='fixed', frame_use=5),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', label_smooth=0.0),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]
test_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=128),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='DecodeOfficialFrames', mode='all'),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='EncodeLabels', label_smooth=0.0),
    dict(
        type='PackActionInputs',
        collect_keys=('audios', 'imgs'),
        meta_keys=('video_id', 'frame_inds')),
]

train_dataloader = dict(
    batch_size=12,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # every official training loader drops the last incomplete batch
    drop_last=True,
    sampler=dict(type='BalancedSampler', weights_file=weights_file_train),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='AudioVisualMixupDataset',
        pipeline=train_pipeline,
        dataset=dict(
            type=dataset_type,
            ann_file=ann_file_train,
            label_file=label_file,
            data_root=data_root,
            multi_label=multi_label,
            pipeline=train_load_pipeline)))
val_dataloader = dict(
    batch_size=12,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        label_file=label_file,
        data_root=data_root,
        multi_label=multi_label,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    val_dataloader,
    batch_size=4,
    dataset=dict(
        val_dataloader['dataset'],
        ann_file=ann_file_test,
        pipeline=test_pipeline))
# mAP (the main metric), mean AUC and d-prime, as the reference reports
val_evaluator = dict(type='AudioSetMetric')
test_evaluator = val_evaluator
