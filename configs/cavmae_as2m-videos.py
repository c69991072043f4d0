# CAV-MAE-Scale++ pretraining (cavmae_as2m.py, the same recipe) straight
# from video files: datalists of build_datalist.py --video-dir (labels are not
# used: --unlabelled and label_file=None serve unlabelled clips too) and the
# pretraining pipeline with on-the-fly loading.
_base_ = ['./cavmae_as2m.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='audioset_2m_videos.json',
        pipeline=_base_.train_pipeline_videos))
val_dataloader = dict(
    dataset=dict(
        ann_file='audioset_eval_videos.json',
        pipeline=_base_.val_pipeline_videos))
