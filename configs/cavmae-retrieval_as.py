# Zero-shot audio-visual retrieval on AudioSet (official src/retrieval.py):
# the pretrained model's audio and visual path features (mean-pooled,
# normalised, cosine), frame 5, the 5-clips-per-class evaluation subset.
# Test only:
#   python tools/test.py configs/cavmae-retrieval_as.py cav-mae-scale++_mm.pth
# Published: R@1 video->audio 16.1 (Scale+ 18.8) = retrieval/v2a_R@1.
_base_ = [
    '_base_/models/cavmae.py', '_base_/datasets/audioset_common.py',
    '_base_/default_runtime.py'
]

test_dataloader = dict(
    batch_size=48,
    dataset=dict(
        ann_file='audioset_eval_5_per_class_for_retrieval_cleaned'
        '.json',
        pipeline=_base_.val_pipeline))
test_evaluator = dict(_delete_=True, type='RetrievalMetric')
test_cfg = dict(type='TestLoop')
val_dataloader = None
val_evaluator = None
