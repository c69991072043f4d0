# AS-20K finetuning (cavmae-ft_as20k.py, the same recipe) straight from video
# files, without the offline extraction: datalists of video files written by
#   tools/data/build_datalist.py LABELS \
#       data/audioset/audioset_20k_videos.json \
#       --format audioset --video-dir data/audioset/videos \
#       --root data/audioset --label-csv data/audioset/class_labels_indices.csv
# and the dataset base's on-the-fly pipelines (audio track and frames at the
# official extraction points decoded per sample; docs/performance.md has the
# loader cost).
_base_ = ['./cavmae-ft_as20k.py']

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            ann_file='audioset_20k_videos.json',
            pipeline=_base_.train_load_pipeline_videos)))
val_dataloader = dict(
    dataset=dict(
        ann_file='audioset_eval_videos.json',
        pipeline=_base_.val_pipeline_videos))
test_dataloader = dict(
    dataset=dict(
        ann_file='audioset_eval_videos.json',
        pipeline=_base_.test_pipeline_videos))
