#!/usr/bin/env python
"""Test a checkpoint with a cavmae_mm config (metrics of test_evaluator).

    python tools/test.py configs/cavmae-ft_as2m.py as-full-51.2_mm.pth
    tools/dist_test.sh configs/cavmae-ft_as2m.py ckpt.pth 4
"""
import argparse
import json
import os

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

from cavmae_mm.evaluation import metrics_table
from cavmae_mm.utils.runtime import (adapt_to_machine, cpu_distributed,
                                     load_run_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a CAV-MAE model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint (cavmae_mm format)')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument('--dump', help='save predictions to this .pkl')
    parser.add_argument('--metrics-out',
                        help='also write the metrics to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (e.g. '
                        'model.modality=missingaudioonly)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_run_config(args.config, args.cfg_options, args.launcher,
                          args.work_dir)
    cfg.load_from = args.checkpoint
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump must end with .pkl')
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    adapt_to_machine(cfg)
    with cpu_distributed(args.launcher):
        runner = Runner.from_cfg(cfg)
        metrics = runner.test()
        if runner.rank == 0 and metrics:
            print_log('\n' + metrics_table(metrics), logger='current')
        if args.metrics_out and runner.rank == 0:
            with open(args.metrics_out, 'w') as handle:
                json.dump(metrics, handle, indent=1)
    return metrics


if __name__ == '__main__':
    main()
