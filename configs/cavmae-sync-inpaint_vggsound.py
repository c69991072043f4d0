# CAV-MAE Sync audio-visual inpainting on the VGGSound test set, as
# configs/cavmae-inpaint_vggsound.py for CAV-MAE: 75% of the patches of the
# middle frame (8 of 16) and of its 416-frame audio segment masked and
# reconstructed. The Sync model is pretrained without norm_pix (the official
# default), so its reconstructions are in input units. Test only, through
# tools/visualizations/inpaint.py:
#   python tools/visualizations/inpaint.py \
#       configs/cavmae-sync-inpaint_vggsound.py \
#       checkpoints/cav_mae_sync.pth --out-dir work_dirs/sync_inpainting
_base_ = ['./cavmae-sync-retrieval_vggsound.py']

model = dict(mask_ratio_a=0.75, mask_ratio_v=0.75)
test_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_cleaned.json', pipeline=_base_.sync_val_pipeline))
