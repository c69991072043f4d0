# CAV-MAE pretraining on VGGSound from the ImageNet-MAE initialisation
# (official egs/vggsound/run_cavmae_pretrain.sh): lr 1e-4, 25 epochs, global
# batch 120 (4 GPUs x 30), MultiStep x0.5 from epoch 10 every 5; the loss
# weights, masking and data augmentation of the AudioSet pretraining.
# Finetuned with configs/cavmae-ft_vggsound.py: 64.8 accuracy in the
# official logs (no checkpoint was released).
_base_ = ['./cavmae_as2m.py']

train_dataloader = dict(
    batch_size=30,
    dataset=dict(
        ann_file='vgg_train_cleaned.json',
        label_file='class_labels_indices_vgg.csv',
        data_root='data/vggsound'))
val_dataloader = dict(
    dataset=dict(
        ann_file='vgg_test_cleaned.json',
        label_file='class_labels_indices_vgg.csv',
        data_root='data/vggsound'))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=120)
