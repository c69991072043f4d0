# `make demo DEMO_ARGS=--sync`: a small CAV-MAE Sync pretrained on the
# synthetic set, on the CPU: the demo's CAV-MAE (cavmae_demo_pretrain.py)
# with Sync's tokens, loss pooling and data at demo scale: 4 frames per
# 1.5 s clip (demo/demo.py extracts 4), each with the 64-frame (0.64 s)
# fbank segment centred on it, cut from the clip padded to 160 frames.
_base_ = ['./cavmae_demo_pretrain.py']

input_geometry = dict(target_length=64)
num_frames = 4
model = dict(
    backbone=dict(
        type='CAVMAESyncEncoder', num_register_tokens=4, global_tokens=True),
    reconstruction_head=dict(norm_pix=False),
    contrastive_head=dict(pooling='global'))

# the demo's loading (the clip padded to 160 frames) and frame-to-packing
# steps around Sync's frame choice and segment cut
audio = [
    _base_.train_pipeline[0],
    dict(_base_.test_pipeline[1], clip_length=160)
]
pack = _base_.train_pipeline[3:]
# pretraining: one random frame and its segment; retrieval: all 4
train_pipeline = [
    *audio,
    dict(type='SelectFrames', mode='random', num_frames=num_frames),
    dict(type='AlignAudioToFrames'), *pack
]
test_pipeline = [
    *audio,
    dict(type='SelectFrames', mode='all', num_frames=num_frames),
    dict(type='AlignAudioToFrames'), *pack
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = dict(frame_aggregation='diagonal_mean')
