#!/usr/bin/env python
"""The whole CAV-MAE chain on a synthetic set, on the CPU (`make demo`).

    python tools/demo.py [--out work_dirs/demo] [--small]

1. writes synthetic videos (class tone + class colour), 2. extracts audio and
frames with the data tools, 3. builds train/test datalists, 4. pretrains a
small CAV-MAE, 5. tests zero-shot retrieval, 6. finetunes it as a
classifier, 7. tests it (top-1 accuracy over 10 frames), 8. draws
inpainting figures and training curves, 9. classifies one raw test video
with tools/infer.py (no extraction), and ends with a report of every
output. ``--small`` is the quicker setting the test suite runs.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# Only the standard library up here: the arguments are parsed (and --help
# answered) before the tools, and with them torch, are imported.
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / 'data'))

CONFIGS = HERE.parent / 'configs' / 'demo'


def step(title: str) -> None:
    print(f'\n=== {title} ===', flush=True)


def data_options(data: Path, workers: int) -> list:
    options = [f'{loader}.dataset.data_root={data}'
               for loader in ('train_dataloader', 'test_dataloader')]
    for loader in ('train_dataloader', 'test_dataloader'):
        options.append(f'{loader}.num_workers={workers}')
        options.append(f'{loader}.persistent_workers={workers > 0}')
    return options


def split_datalists(data: Path, per_train: int) -> None:
    import build_datalist
    train, test = [], []
    for line in (data / 'labels_simple.csv').read_text().splitlines():
        index = int(line.split(',')[0].rsplit('_', 1)[1])
        (train if index < per_train else test).append(line + '\n')
    for name, lines in (('train', train), ('test', test)):
        (data / f'{name}_labels.csv').write_text(''.join(lines))
        code = build_datalist.main([
            str(data / f'{name}_labels.csv'), str(data / f'{name}.json'),
            '--audio-dir', str(data / 'audio'), '--frames-dir',
            str(data / 'frames'), '--label-csv', str(data / 'labels.csv'),
            '--root', str(data)
        ])
        if code:
            raise SystemExit(f'building the {name} datalist failed')


def run(args) -> dict:
    import extract_audio
    import extract_frames
    import inpaint
    import make_synthetic
    import plot_logs
    import test as test_tool
    import train as train_tool
    out = args.out.resolve()
    data = out / 'data'
    classes = args.num_classes
    started = time.time()

    step('1/9 synthetic videos')
    make_synthetic.main([str(data), '--num-classes', str(classes),
                         '--per-class', str(args.per_train + args.per_test),
                         '--seconds', '1.5', '--size', '72'])
    step('2/9 extract audio and frames')
    for tool, sub, extra in ((extract_audio, 'audio', []),
                             (extract_frames, 'frames', [])):
        if tool.main([str(data / 'videos'), str(data / sub), '--workers',
                      str(args.workers)] + extra):
            raise SystemExit(f'extracting {sub} failed')
    step('3/9 datalists')
    split_datalists(data, args.per_train)

    options = data_options(data, args.workers)
    pre_cfg = str(CONFIGS / 'cavmae_demo_pretrain.py')
    ft_cfg = str(CONFIGS / 'cavmae-ft_demo.py')
    step('4/9 pretrain CAV-MAE')
    train_tool.main([pre_cfg, '--work-dir', str(out / 'pretrain'),
                     '--cfg-options', *options,
                     f'train_cfg.max_epochs={args.pretrain_epochs}'])
    pretrained = out / 'pretrain' / f'epoch_{args.pretrain_epochs}.pth'
    step('5/9 zero-shot retrieval on the test clips')
    retrieval = test_tool.main([pre_cfg, str(pretrained), '--work-dir',
                                str(out / 'retrieval'), '--cfg-options',
                                *options])
    step('6/9 finetune the classifier')
    train_tool.main([ft_cfg, '--work-dir', str(out / 'finetune'),
                     '--cfg-options', *options,
                     f'model.init_cfg.checkpoint={pretrained}',
                     f'model.cls_head.num_classes={classes}',
                     f'train_cfg.max_epochs={args.finetune_epochs}'])
    finetuned = out / 'finetune' / f'epoch_{args.finetune_epochs}.pth'
    step('7/9 test the classifier (10 frames per clip)')
    accuracy = test_tool.main([
        ft_cfg, str(finetuned), '--work-dir', str(out / 'finetune_test'),
        '--cfg-options', *options, f'model.cls_head.num_classes={classes}'
    ])
    step('8/9 inpainting figures and training curves')
    inpaint.main([pre_cfg, str(pretrained), '--out-dir',
                  str(out / 'inpainting'), '--num', '2', '--cfg-options',
                  *options])
    for run_name in ('pretrain', 'finetune'):
        if plot_logs.main([str(out / run_name), '--out',
                           str(out / 'curves' / f'{run_name}.png')]):
            raise SystemExit(f'plotting the {run_name} curves failed')

    step('9/9 classify a raw video with tools/infer.py (top-5)')
    video = sorted((data / 'videos').glob('*.mp4'))[-1]
    infer_json = out / 'infer' / 'results.json'
    code = subprocess.call([
        sys.executable, str(HERE / 'infer.py'), str(video), '--config',
        ft_cfg, '--checkpoint', str(finetuned), '--topk', '5', '--out',
        str(infer_json), '--no-progress', '--cfg-options', *options,
        f'model.cls_head.num_classes={classes}'
    ])
    if code:
        raise SystemExit(f'tools/infer.py failed on {video}')
    inferred = json.loads(infer_json.read_text())['results'][0]

    test_clips = classes * args.per_test
    report = dict(
        minutes=round((time.time() - started) / 60, 1),
        retrieval=retrieval, accuracy=accuracy, inference=inferred,
        # Clips of one class differ only in noise and the square's path, so
        # a model that matches classes perfectly still ranks the true
        # partner first only 1 time in per_test: that is the R@1 ceiling.
        chance=dict(retrieval_R1=100 / test_clips,
                    retrieval_R5=100 * min(5, test_clips) / test_clips,
                    accuracy=1 / classes),
        retrieval_R1_ceiling_class_level=100 / args.per_test,
        outputs=dict(videos=str(data / 'videos'), audio=str(data / 'audio'),
                     frames=str(data / 'frames'),
                     datalists=str(data / '{train,test}.json'),
                     pretrained=str(pretrained), finetuned=str(finetuned),
                     inpainting=str(out / 'inpainting'),
                     curves=str(out / 'curves'),
                     inference=str(infer_json),
                     logs=str(out / '*/*/*.log')))
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    return report


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Each option's default in its help; the epilog as written."""


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('--out', type=Path, default=Path('work_dirs/demo'),
                        help='folder of every output')
    parser.add_argument('--num-classes', type=int, default=4,
                        help='synthetic classes')
    parser.add_argument('--per-train', type=int, default=12,
                        help='training clips per class')
    parser.add_argument('--per-test', type=int, default=4,
                        help='test clips per class')
    parser.add_argument('--pretrain-epochs', type=int, default=15,
                        help='pretraining epochs')
    parser.add_argument('--finetune-epochs', type=int, default=8,
                        help='finetuning epochs')
    parser.add_argument('--workers', type=int, default=2,
                        help='extraction processes and loader workers')
    parser.add_argument('--small', action='store_true',
                        help='the quick setting of the test suite (8 '
                        'training clips per class, 8 + 4 epochs, no '
                        'workers)')
    args = parser.parse_args(argv)
    if args.small:
        args.per_train, args.pretrain_epochs, args.finetune_epochs = 8, 8, 4
        args.workers = 0
    report = run(args)
    r1 = report['retrieval']['retrieval/v2a_R@1']
    acc = report['accuracy']['acc/top1']
    print(f'\n=== report ({report["minutes"]} min) ===\n'
          f'zero-shot retrieval, video->audio R@1: {r1:.1f}% '
          f'(chance {report["chance"]["retrieval_R1"]:.1f}%, ceiling of a '
          f'class-level match '
          f'{report["retrieval_R1_ceiling_class_level"]:.1f}%); '
          f'audio->video R@1: {report["retrieval"]["retrieval/a2v_R@1"]:.1f}%'
          f'\nfinetuned top-1 accuracy: {acc:.3f} '
          f'(chance {report["chance"]["accuracy"]:.3f})')
    top = report['inference']['predictions']
    print(f'raw video {report["inference"]["input"]} '
          f'[{report["inference"]["modality"]}]: ' +
          ', '.join(f'{p["label"]} {p["score"]:.3f}' for p in top))
    for name, path in report['outputs'].items():
        print(f'{name:>11}: {path}')
    print(f'     report: {args.out / "report.json"}')
    return report


if __name__ == '__main__':
    main()
