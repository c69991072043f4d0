# CAV-MAE Sync zero-shot audio-visual retrieval on AudioSet (official
# src/retrieval.py): per clip the 16 frames and their aligned audio
# segments, the global tokens after the modality norms, L2-normalised;
# clips scored by the mean over frames k of cos(audio_k, frame_k)
# ('diagonal_mean', the README's command); R@1/5/10 and median rank both
# ways. Test only:
#   python tools/test.py configs/cavmae-sync-retrieval_as.py cav_mae_sync.pth
# Published (project page): R@1 visual->audio 35.2, audio->visual 27.9
# (retrieval/v2a_R@1, retrieval/a2v_R@1).
_base_ = ['./cavmae-retrieval_as.py', '_base_/datasets/sync_frames.py']

input_geometry = _base_.sync_input_geometry
model = _base_.sync_pretrain_model
test_dataloader = dict(
    batch_size=50,  # their script's
    dataset=dict(pipeline=_base_.sync_clip_pipeline))
test_evaluator = dict(frame_aggregation='diagonal_mean')
