# A template for finetuning on your own data: copy it, rename it, edit the
# values marked below. Here: 10 classes, single label, 5 s clips, the data's
# own fbank statistics; everything else is the VGGSound recipe
# (cavmae-ft_vggsound.py: from CAV-MAE-Scale++, lr 1e-4, head x10, 10
# epochs, balanced sampling, mixup 0.5, SpecAugment, noise, label smoothing,
# cross-entropy, top-1/top-5 accuracy).
#
# The clip length is one value (input_geometry, which the config loader
# hands to the model and the data). A base's other variables are read when
# the base loads, so the statistics are written into each pipeline that
# uses them (tests/configs/test_configs.py checks that every loader of every
# config feeds its model the size it was built for).
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
# fbank frames of 10 ms: 5 s clips. A 10 s checkpoint loads with its audio
# position table trimmed to the shorter clips.
input_geometry = dict(target_length=512)
audio_frontend = dict(type='AudioFrontEnd', mean=-4.0, std=4.0)
# SpecAugment: the official 48 mel bins / 192 frames are for 10 s clips;
# the time mask is scaled with the clip here
freqm, timem = 48, 96

model = dict(cls_head=dict(num_classes=num_classes))

# --- the data: the recipe's pipelines with these statistics (the audio
# front end follows the loading step)
train_pipeline = [
    *_base_.mix_and_label,
    dict(audio_frontend, freqm=freqm, timem=timem, noise=True),
    _base_.train_pipeline[-1],
]
val_pipeline = [
    _base_.val_pipeline[0], audio_frontend, *_base_.val_pipeline[2:]
]
test_pipeline = [
    _base_.test_pipeline[0], audio_frontend, *_base_.test_pipeline[2:]
]
# the same straight from video files (datalists of build_datalist.py
# --video-dir; use them as cavmae-ft_vggsound-videos.py does)
val_pipeline_videos = [
    _base_.val_pipeline_videos[0], audio_frontend,
    *_base_.val_pipeline_videos[2:]
]
test_pipeline_videos = [
    _base_.test_pipeline_videos[0], audio_frontend,
    *_base_.test_pipeline_videos[2:]
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
