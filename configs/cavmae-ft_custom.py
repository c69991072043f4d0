# A template for finetuning on your own data: copy it, rename it, edit the
# values marked below. Here: 10 classes, single label, 5 s clips, the data's
# own fbank statistics; everything else is the VGGSound recipe
# (cavmae-ft_vggsound.py: from CAV-MAE-Scale++, lr 1e-4, head x10, 10
# epochs, balanced sampling, mixup 0.5, SpecAugment, noise, label smoothing,
# cross-entropy, top-1/top-5 accuracy).
#
# A base's variables are read when the base loads, so each value that
# differs is written where it is used: the model, the sampler, the three
# datasets, and every pipeline step that holds the clip length or the
# statistics (tests/configs/test_configs.py checks that every loader of
# every config feeds its model the size it was built for).
_base_ = ['./cavmae-ft_vggsound.py']

# --- your data (tools/data/build_datalist.py writes the datalists and the
# label CSV; tools/data/gen_sample_weights.py the sampling weights;
# tools/data/compute_norm_stats.py --target-length 512 the statistics)
data_root = 'data/custom'
label_file = 'class_labels_indices_custom.csv'
ann_file_train = 'custom_train.json'
ann_file_val = 'custom_val.json'
ann_file_test = 'custom_test.json'
weights_file_train = 'data/custom/custom_train_weight.csv'
num_classes = 10  # the label CSV's rows (checked when a run starts)
target_length = 512  # fbank frames of 10 ms: 5 s clips
audio_length = target_length  # the model base's name for it
audio_norm = dict(type='NormalizeFbank', mean=-4.0, std=4.0)
# SpecAugment: the official 48 mel bins / 192 frames are for 10 s clips;
# the time mask is scaled with the clip here
freqm, timem = 48, 96

# --- the model: a 10 s checkpoint loads with its audio position table
# trimmed to the shorter clips
model = dict(
    backbone=dict(audio_length=target_length),
    cls_head=dict(num_classes=num_classes))

# --- the data: the recipe's pipelines with this length and these statistics
train_pipeline = [
    *_base_.mix_and_label,
    dict(type='KaldiFbank', num_mel_bins=_base_.mel_bins),
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
    dict(type='KaldiFbank', num_mel_bins=_base_.mel_bins),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='SelectFrames', mode='fixed', frame_use=5),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=_base_.frame_size),
    _base_.eval_targets,
    _base_.eval_pack,
]
test_pipeline = [
    dict(type='LoadAudio'),
    dict(type='KaldiFbank', num_mel_bins=_base_.mel_bins),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='SelectFrames', mode='all'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop', size=_base_.frame_size),
    _base_.eval_targets,
    _base_.eval_pack,
]
# the same straight from video files (datalists of build_datalist.py
# --video-dir; use them as cavmae-ft_vggsound-videos.py does)
val_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=_base_.mel_bins),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='DecodeOfficialFrames', mode='fixed', frame_use=5),
    dict(type='ResizeCenterCrop', size=_base_.frame_size),
    _base_.eval_targets,
    _base_.eval_pack,
]
test_pipeline_videos = [
    dict(type='DecodeAudio'),
    dict(type='KaldiFbank', num_mel_bins=_base_.mel_bins),
    dict(type='PadCropFbank', target_length=target_length),
    audio_norm,
    dict(type='DecodeOfficialFrames', mode='all'),
    dict(type='ResizeCenterCrop', size=_base_.frame_size),
    _base_.eval_targets,
    _base_.eval_pack,
]
dataset_args = dict(data_root=data_root, label_file=label_file)
train_dataloader = dict(
    sampler=dict(weights_file=weights_file_train),
    dataset=dict(
        pipeline=train_pipeline,
        dataset=dict(ann_file=ann_file_train, **dataset_args)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, pipeline=val_pipeline, **dataset_args))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test, pipeline=test_pipeline, **dataset_args))
