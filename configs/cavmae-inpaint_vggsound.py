# Audio-visual inpainting (official src/inpaint.py): the CAV-MAE-Base-NoNorm
# checkpoint (pretrained with norm_pix_loss=False, so its reconstructions are
# in input units) reconstructs 75% masked spectrograms and frames of the
# VGGSound test set, frame 5. Test only, through
# tools/visualizations/inpaint.py:
#   python tools/visualizations/inpaint.py configs/cavmae-inpaint_vggsound.py \
#       cav-mae-base-nonorm_mm.pth --out-dir work_dirs/inpainting --num 8
_base_ = ['./cavmae-retrieval_vggsound.py']

model = dict(
    reconstruction_head=dict(norm_pix=False),
    mask_ratio_a=0.75,
    mask_ratio_v=0.75)
test_dataloader = dict(dataset=dict(ann_file='vgg_test_cleaned.json'))
