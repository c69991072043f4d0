# AudioSet-20K finetuning with frames only (official
# run_cavmae_ft_bal_videoonly.sh): the AS-20K recipe, modality videoonly.
# Published: 20.0 mAP.
_base_ = ['./cavmae-ft_as20k.py']

model = dict(modality='visual')  # the official 'videoonly'
