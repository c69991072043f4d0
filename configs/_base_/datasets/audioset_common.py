# AudioSet data shared by every recipe: 527 classes, multi-label; the audio
# front end and the evaluation inputs (frame 5 for validation, all 10 frames
# for the test). The training data are in audioset.py (finetuning) and
# audioset_pretrain.py, which inherit this file; test-only recipes
# (retrieval) use it alone.
# Files as released with the official code (see docs/data_preparation.md):
# datalists with wav/video_path relative to data_root (or absolute), the
# label CSV and the per-sample weight file for balanced sampling.
dataset_type = 'AudioVisualDataset'
data_root = 'data/audioset'
label_file = 'class_labels_indices.csv'
ann_file_val = 'audioset_eval_cleaned.json'
ann_file_test = 'audioset_eval_cleaned.json'
multi_label = True

# The audio front end (kaldi fbank of 10 ms frames, pad or crop, the fbank
# statistics of AudioSet, which the reference uses for VGGSound too). Its
# sizes, like ResizeCenterCrop's, come from the model's input_geometry
# (_base_/models/cavmae.py): cavmae_mm's config loader hands them to every
# part that takes them. Training pipelines add the augmentations
# (freqm/timem/noise); the data preprocessor's fbank_on_device takes the
# same arguments.
audio_frontend = dict(type='AudioFrontEnd', mean=-5.081, std=4.4849)

# evaluation: one-hot targets (mAP); single-label data index them
eval_targets = dict(type='EncodeLabels', label_smooth=0.0)
eval_pack = dict(
    type='PackActionInputs',
    collect_keys=('audios', 'imgs'),
    meta_keys=('video_id', 'frame_inds'))
val_pipeline = [
    dict(type='LoadAudio'),
    audio_frontend,
    dict(type='SelectFrames', mode='fixed', frame_use=5),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
    eval_targets,
    eval_pack,
]
# test: all 10 frames of a clip in one pass, predictions averaged
test_pipeline = [
    dict(type='LoadAudio'),
    audio_frontend,
    dict(type='SelectFrames', mode='all'),
    dict(type='LoadFrames'),
    dict(type='ResizeCenterCrop'),
    eval_targets,
    eval_pack,
]

# Straight from video files (datalists written by
# tools/data/build_datalist.py --video-dir: a video path, no wav): each sample
# decodes the audio track (16 kHz, first channel, as the extraction) and the
# frames at the official extraction points (OpenCV seeks, the extraction's
# 224 resize); everything after loading is the offline pipeline's. Use them
# in place of the offline pipelines, e.g. configs/cavmae-ft_as20k-videos.py.
val_pipeline_videos = [
    dict(type='DecodeAudio'),
    audio_frontend,
    dict(type='DecodeOfficialFrames', mode='fixed', frame_use=5),
    dict(type='ResizeCenterCrop'),
    eval_targets,
    eval_pack,
]
test_pipeline_videos = [
    dict(type='DecodeAudio'),
    audio_frontend,
    dict(type='DecodeOfficialFrames', mode='all'),
    dict(type='ResizeCenterCrop'),
    eval_targets,
    eval_pack,
]

# what every loader of the recipes shares (per GPU)
loader_settings = dict(
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='pseudo_collate'))
val_dataloader = dict(
    loader_settings,
    batch_size=12,
    sampler=dict(type='DefaultSampler', shuffle=False),
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
