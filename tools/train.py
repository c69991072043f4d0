#!/usr/bin/env python
"""Train a cavmae_mm config with MMEngine's runner.

    python tools/train.py configs/cavmae-ft_as2m.py [--work-dir DIR] [--resume]
    tools/dist_train.sh configs/cavmae_as2m.py 4        # 4 GPUs, torchrun
"""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from cavmae_mm.utils.runtime import (adapt_to_machine, cpu_distributed,
                                     load_run_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a CAV-MAE model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or from the '
                        "work dir's last one when no path is given")
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual global batch '
                        '(auto_scale_lr.base_batch_size)')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args) -> Config:
    cfg = load_run_config(args.config, args.cfg_options, args.launcher,
                          args.work_dir)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.seed is not None:
        cfg.randomness = dict(seed=args.seed)
    adapt_to_machine(cfg)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    with cpu_distributed(args.launcher):
        runner = Runner.from_cfg(build_config(args))
        runner.train()


if __name__ == '__main__':
    main()
