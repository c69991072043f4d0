# Linear probe on AudioSet-20K: the AS-20K finetuning recipe with the
# encoder frozen (the official run_cavmae_ft.py --freeze_base True); only
# the LayerNorm + Linear head trains.
_base_ = ['./cavmae-ft_as20k.py']

model = dict(freeze_backbone=True)
