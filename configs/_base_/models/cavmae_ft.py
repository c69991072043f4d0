# Finetuned CAV-MAE recognizer (AudioSet: 527 classes, multi-label BCE).
# Every official finetuning recipe starts from CAV-MAE-Scale++ (model zoo:
# cavmae-scale++_as2m); the official file loads as released. Download it to
# this path, point init_cfg elsewhere, or set model.init_cfg=None for a
# deliberate random start.
pretrained = 'checkpoints/cav-mae-scale++.pth'
model = dict(
    type='CAVMAERecognizer',
    modality='multimodal',
    backbone=dict(
        type='CAVMAEEncoder',
        img_size=224,
        audio_length=1024,
        num_mel_bins=128,
        patch_size=16,
        embed_dim=768,
        depth=12,
        modality_specific_depth=11,
        num_heads=12,
        mlp_ratio=4.0,
        trainable_pos_embed=True),
    cls_head=dict(
        type='CAVMAEClsHead',
        num_classes=527,
        in_channels=768,
        loss_cls=dict(type='BCELossWithLogits'),
        average_clips='sigmoid'),
    data_preprocessor=dict(
        type='AVDataPreprocessor',
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
