#!/usr/bin/env python
"""Train a cavmae_mm config with MMEngine's runner.

    python tools/train.py configs/cavmae-ft_as2m.py [--work-dir DIR] [--resume]
        [--resume-fallback]
    tools/dist_train.sh configs/cavmae_as2m.py 4        # 4 GPUs, torchrun
"""
import os

import cli_common

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__, 'Train a CAV-MAE model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the '
        "work dir's last one when no path is given")
    parser.add_argument(
        '--resume-fallback',
        action='store_true',
        help='when the checkpoint to resume from cannot be read (truncated, '
        'not a checkpoint), resume from the newest readable training '
        'checkpoint of the work dir instead (logged); implies --resume')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the actual global batch '
        '(auto_scale_lr.base_batch_size)')
    parser.add_argument('--seed', type=int, help='random seed')
    cli_common.add_cfg_options(parser)
    parser.add_argument(
        '--launcher',
        default='none',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        help='job launcher (tools/dist_train.sh: pytorch)')
    parser.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help='rank on this node (passed by the launcher)')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args):
    """The run's MMEngine ``Config``."""
    from cavmae_mm.config import adapt_to_machine, load_run_config
    cfg = load_run_config(args.config, cli_common.cfg_options(args),
                          args.launcher, args.work_dir)
    if args.resume == 'auto' or (args.resume is None and args.resume_fallback):
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.resume_fallback:
        cfg.resume_fallback = True
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.seed is not None:
        cfg.randomness = dict(seed=args.seed)
    adapt_to_machine(cfg)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    from cavmae_mm.config import build_runner, cpu_distributed
    with cpu_distributed(args.launcher):
        # no name keeps the runner: it is collected, its loader workers and
        # DDP wrapper released, before the process group is destroyed
        build_runner(build_config(args)).train()


if __name__ == '__main__':
    main()
