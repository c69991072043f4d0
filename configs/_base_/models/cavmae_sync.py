# CAV-MAE Sync (Araujo et al., CVPR 2025; github edsonroteia/cav-mae-sync):
# what it changes in the CAV-MAE model, as pieces a Sync config merges into
# a CAV-MAE one (this file defines new names only, so that it can be
# inherited next to a CAV-MAE config). Values are those of the official
# code; the released checkpoint is built with them (its src/retrieval.py).

# The model reads one frame and the audio segment centred on it:
# 416 fbank frames (about 4 s; the release's '4s' setting).
sync_input_geometry = dict(target_length=416)
# frames per clip: the official total_frame (their data loader reads
# frame_0 .. frame_15: extract 16 frames per clip, see
# docs/data_preparation.md)
sync_total_frame = 16

sync_backbone = dict(
    type='CAVMAESyncEncoder',
    num_register_tokens=8,  # the released model ('3388' in their script)
    global_tokens=True,  # cls_token=True
    keep_register_tokens=False,
    # the contrastive-head blocks: the official class defaults to 2, the
    # released model has none (its script builds it without them)
    contrastive_depth=0)
sync_pretrain_model = dict(
    backbone=sync_backbone,
    # the official norm_pix_loss default (the paper does not give one)
    reconstruction_head=dict(norm_pix=False),
    # InfoNCE on the global tokens, one direction, temperature 0.05,
    # weight 0.01 (the official forward's defaults); 'global_local' is
    # their global_local_losses
    contrastive_head=dict(pooling='global'),
    # the official multi_ratio_masking (off by default) is
    # mask_ratio_range=(0.6, 0.9)
    mask_ratio_a=0.75,
    mask_ratio_v=0.75)

# Finetuning (their CAVMAEFT, aggregate='self_attention_cls', the one
# aggregation of their code that runs for audio-visual input): the two
# global tokens of each of the 16 frames, side by side (2 x 768), and a
# class token attending to them through two blocks.
sync_frame_head = dict(
    type='CAVMAEFrameAttentionHead',
    in_channels=2 * 768,
    num_frames=sync_total_frame,
    depth=2,
    num_heads=12)
# the finetuned model of the Sync finetuning recipes, from the released
# Sync checkpoint (model zoo: cavmae-sync_vggsound-retrieval)
sync_recognizer = dict(
    type='CAVMAESyncRecognizer',
    backbone=sync_backbone,
    cls_head=sync_frame_head,
    init_cfg=dict(checkpoint='checkpoints/cav_mae_sync.pth'))
