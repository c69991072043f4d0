#!/usr/bin/env python
"""Test a checkpoint with a cavmae_mm config (metrics of test_evaluator).

    python tools/test.py configs/cavmae-ft_as2m.py as-full-51.2.pth
    python tools/test.py as-full-51.2 as-full-51.2.pth     # a model-zoo name
    python tools/test.py configs/cavmae-ft_as2m.py --no-checkpoint  # baseline
    tools/dist_test.sh configs/cavmae-ft_as2m.py ckpt.pth 4

CONFIG is a config file or a model-zoo name (configs/metafile.yml: its test
config). CHECKPOINT is this package's, an official one as released
(converted in memory) or a URL (downloaded once into torch hub's cache).
Every tensor of the model must come from it: a checkpoint that misses
tensors (e.g. pretraining weights for a classifier) or has other shapes
stops the run with the names and the likely cause. --no-checkpoint tests
the randomly initialised model (no pretrained start) as a baseline.
"""
import json
import os

import cli_common

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__, 'Test a CAV-MAE model')
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help="checkpoint file or URL (this package's or "
        'official)')
    parser.add_argument(
        '--no-checkpoint',
        action='store_true',
        help='test the randomly initialised model')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument('--dump', help='save predictions to this .pkl')
    parser.add_argument(
        '--metrics-out', help='also write the metrics to this JSON file')
    cli_common.add_cfg_options(
        parser, 'override config entries, key=value (e.g. '
        'model.modality=audio_without_visual)')
    parser.add_argument(
        '--launcher',
        default='none',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        help='job launcher (tools/dist_test.sh: pytorch)')
    parser.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help='rank on this node (passed by the launcher)')
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (not args.no_checkpoint):
        parser.error('give a checkpoint or --no-checkpoint (not both)')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def run_test(cfg, args) -> dict:
    """Builds the runner, loads the weights, tests; returns the metrics
    (the runner is dropped on return, before the process group ends)."""
    from mmengine.logging import print_log
    from mmengine.model import is_model_wrapper

    from cavmae_mm.checkpoint import init_quietly, load_weights
    from cavmae_mm.config import build_runner
    from cavmae_mm.evaluation import metrics_table
    runner = build_runner(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    if args.no_checkpoint:
        init_quietly(model)
        print_log(
            'testing the randomly initialised model '
            '(--no-checkpoint)',
            logger='current')
    else:
        load_weights(model, args.checkpoint)
    metrics = runner.test()
    if runner.rank == 0 and metrics:
        print_log('\n' + metrics_table(metrics), logger='current')
    if args.metrics_out and runner.rank == 0:
        with open(args.metrics_out, 'w') as handle:
            json.dump(metrics, handle, indent=1)
    return metrics


def main(argv=None) -> dict:
    args = parse_args(argv)
    from cavmae_mm.checkpoint import resolve_config
    from cavmae_mm.config import (adapt_to_machine, cpu_distributed,
                                  load_run_config)
    config, _ = resolve_config(args.config)
    cfg = load_run_config(
        str(config), cli_common.cfg_options(args), args.launcher,
        args.work_dir)
    cfg.load_from = None  # loaded below, strictly, whatever its format
    cfg.model.pop('init_cfg', None)  # a test starts from no training run
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
        return run_test(cfg, args)


if __name__ == '__main__':
    main()
