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
    modality='multimodal',
    backbone=dict(
        type='CAVMAEEncoder',
        img_size={{_base_.img_size}},
        audio_length={{_base_.audio_length}},
        num_mel_bins={{_base_.num_mel_bins}},
        patch_size={{_base_.patch_size}},
        embed_dim={{_base_.embed_dim}},
        depth={{_base_.depth}},
        modality_specific_depth={{_base_.modality_specific_depth}},
        num_heads={{_base_.num_heads}},
        mlp_ratio=4.0,
        trainable_pos_embed=True),
    cls_head=dict(
        type='CAVMAEClsHead',
        num_classes=527,
        in_channels={{_base_.embed_dim}},
        loss_cls=dict(type='BCELossWithLogits'),
        average_clips='sigmoid'),
    data_preprocessor={{_base_.model.data_preprocessor}},
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
