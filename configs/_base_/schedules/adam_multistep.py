# Optimisation of every official recipe: Adam, betas (0.95, 0.999), weight
# decay 5e-7, fp16 autocast (AmpOptimWrapper), per-epoch MultiStep x0.5.
# Recipes set lr, epochs, milestones and (finetuning) the head's lr_mult.
# The precision is the official one (fp16 with loss scaling); on Ampere or
# newer GPUs bf16 and the fused Adam kernel are one option each:
#   --cfg-options optim_wrapper.dtype=bfloat16 \
#       optim_wrapper.optimizer.fused=True
# The tools run this as written on a GPU; without CUDA they say in one line
# what they change (AmpOptimWrapper needs a GPU).
optim_wrapper = dict(
    type='AmpOptimWrapper',
    # frozen parameters in one log line instead of one line each
    constructor='CAVMAEOptimWrapperConstructor',
    optimizer=dict(
        type='Adam', lr=1e-4, betas=(0.95, 0.999), weight_decay=5e-7))
param_scheduler = [
    dict(
        type='MultiStepLR', by_epoch=True, milestones=[10, 15, 20], gamma=0.5)
]
train_cfg = dict(
    type='ResumableEpochBasedTrainLoop', max_epochs=25, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
