# CAV-MAE pretraining model, the size of every released checkpoint. The
# sizes are stated once here; the finetuning model (cavmae_ft.py) inherits
# them.
#
# The input sizes, shared by the model and the data: cavmae_mm's config
# loader (every tool, the APIs, the runner) hands them to the encoder, the
# decoder and every data transform that takes them (AudioFrontEnd,
# ResizeCenterCrop, FbankOnDevice). Other clips or frames are one value,
# e.g. input_geometry = dict(target_length=512) in a child config.
input_geometry = dict(
    target_length=1024,  # fbank frames (10 ms): 10 s clips
    num_mel_bins=128,
    frame_size=224)
patch_size = 16
embed_dim = 768
depth = 12
modality_specific_depth = 11
num_heads = 12
image_norm = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))

model = dict(
    type='CAVMAE',
    backbone=dict(
        type='CAVMAEEncoder',
        patch_size=patch_size,
        embed_dim=embed_dim,
        depth=depth,
        modality_specific_depth=modality_specific_depth,
        num_heads=num_heads,
        mlp_ratio=4.0,
        trainable_pos_embed=False),
    neck=dict(
        type='CAVMAEDecoder',
        patch_size=patch_size,
        embed_dim=embed_dim,
        decoder_embed_dim=512,
        depth=8,
        num_heads=16,
        mlp_ratio=4.0),
    reconstruction_head=dict(
        type='CAVMAEReconstructionHead',
        patch_size=patch_size,
        norm_pix=True,
        loss_weight=1.0),
    contrastive_head=dict(
        type='CAVMAEContrastiveHead',
        temperature=0.05,
        bidirectional=False,
        loss_weight=0.01),
    mask_ratio_a=0.75,
    mask_ratio_v=0.75,
    audio_mask_mode='unstructured',
    data_preprocessor=dict(type='AVDataPreprocessor', **image_norm))
