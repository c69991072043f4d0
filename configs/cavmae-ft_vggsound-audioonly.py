# VGGSound finetuning with audio only: the VGGSound recipe, modality
# audioonly. Published: 59.8 accuracy.
_base_ = ['./cavmae-ft_vggsound.py']

model = dict(modality='audio')  # the official 'audioonly'
