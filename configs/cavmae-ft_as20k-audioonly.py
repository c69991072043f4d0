# AudioSet-20K finetuning with audio only (official
# run_cavmae_ft_bal_audioonly.sh): the AS-20K recipe, modality audioonly.
# Published: 37.7 mAP.
_base_ = ['./cavmae-ft_as20k.py']

model = dict(modality='audio')  # the official 'audioonly'
