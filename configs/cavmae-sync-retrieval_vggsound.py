# CAV-MAE Sync zero-shot retrieval on VGGSound (official src/retrieval.py,
# the subset vgg_test_5_per_class_for_retrieval: about 1,520 clips), the
# protocol of cavmae-sync-retrieval_as.py; the released checkpoint
# (model zoo: cavmae-sync_vggsound-retrieval) is evaluated this way.
#   python tools/test.py configs/cavmae-sync-retrieval_vggsound.py \
#       cavmae-sync_vggsound-retrieval
# Published (project page): R@1 visual->audio 27.9, audio->visual 23.2.
_base_ = ['./cavmae-retrieval_vggsound.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_pretrain_model
test_dataloader = dict(
    batch_size=50, dataset=dict(pipeline=_base_.sync_clip_pipeline))
test_evaluator = dict(frame_aggregation='diagonal_mean')
