# AudioSet-2M finetuning with audio only (official run_cavmae_ft_full.sh with
# ftmode=audioonly): the AS-2M recipe, modality audioonly.
# Published: 46.6 mAP.
_base_ = ['./cavmae-ft_as2m.py']

model = dict(modality='audio')  # the official 'audioonly'
