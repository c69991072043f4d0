# Runtime shared by every cavmae_mm config.
default_scope = 'cavmae_mm'
custom_imports = dict(imports=['cavmae_mm'], allow_failed_imports=False)
# MMEngine's runner with a short start-up log (one line of environment, the
# config by its path); MMAction2's tools build it from this key as ours do
# (the scope prefix finds it before the runner sets the default scope)
runner_type = 'cavmae_mm.CAVMAERunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # cavmae_mm's CheckpointHook: atomic writes (a kill during a save
    # leaves the previous checkpoint as the latest, complete)
    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    # a head and label CSV with different class counts stop the run at
    # start; a NaN / infinite training loss stops it where it happens
    class_count=dict(type='ClassCountCheckHook'),
    finite_loss=dict(type='FiniteLossHook'),
    # with a training set's on_error='skip': each replaced datum logged
    # once, the count per epoch, and a stop above 10% of an epoch
    replaced_samples=dict(type='ReplacedSamplesHook', max_fraction=0.1),
    # every rank's random generators saved in each checkpoint and restored
    # on --resume: a resumed run ends bit-identical to an uninterrupted one
    random_state=dict(type='RandomStateHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
# Losses, contrastive accuracy, lr and metrics go to
# WORK_DIR/<run>/vis_data/scalars.json (tools/analysis_tools/plot_logs.py
# draws them). For
# TensorBoard as well: --cfg-options or a derived config with
#   visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                   dict(type='TensorboardVisBackend')])
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
