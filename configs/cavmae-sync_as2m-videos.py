# CAV-MAE Sync pretraining on AudioSet-2M (cavmae-sync_as2m.py) straight
# from video files (datalists written by tools/data/build_datalist.py
# --video-dir): the audio track and the frames of the official 16-frame
# extraction are decoded per sample; everything after loading is the same.
_base_ = ['./cavmae-sync_as2m.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='audioset_2m_videos.json',
        pipeline=_base_.sync_train_pipeline_videos))
val_dataloader = dict(
    dataset=dict(
        ann_file='audioset_eval_videos.json',
        pipeline=_base_.sync_val_pipeline_videos))
