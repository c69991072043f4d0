# VGGSound finetuning (cavmae-ft_vggsound.py, the same recipe) straight from
# video files: datalists of build_datalist.py --format vggsound --video-dir,
# the balanced-sampling weights of tools/data/gen_sample_weights.py on the
# training datalist, and the dataset bases' on-the-fly pipelines.
_base_ = ['./cavmae-ft_vggsound.py']

train_dataloader = dict(
    sampler=dict(weights_file='data/vggsound/vgg_train_videos_weight.csv'),
    dataset=dict(
        dataset=dict(
            ann_file='vgg_train_videos.json',
            pipeline=_base_.train_load_pipeline_videos)))
val_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_videos.json', pipeline=_base_.val_pipeline_videos))
test_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_videos.json', pipeline=_base_.test_pipeline_videos))
