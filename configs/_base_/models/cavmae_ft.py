# Finetuned CAV-MAE recognizer (AudioSet: 527 classes, multi-label BCE), on
# the encoder of the pretraining model base (its sizes stated there).
# Every official finetuning recipe starts from CAV-MAE-Scale++ (model zoo:
# cavmae-scale++_as2m); the official file loads as released. Download it to
# this path, point init_cfg elsewhere, or set model.init_cfg=None for a
# deliberate random start.
_base_ = ['./cavmae.py']

pretrained = 'checkpoints/cav-mae-scale++.pth'
model = dict(
    _delete_=True,
    type='CAVMAERecognizer',
    modality='audio_visual',  # the official 'multimodal'
    # the pretraining encoder with learnable position tables
    backbone=dict(_base_.model.backbone, trainable_pos_embed=True),
    cls_head=dict(
        type='CAVMAEClsHead',
        num_classes=527,
        in_channels=_base_.embed_dim,
        loss_cls=dict(type='BCELossWithLogits'),
        average_clips='sigmoid'),
    data_preprocessor=_base_.model.data_preprocessor,
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
