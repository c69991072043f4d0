#!/usr/bin/env python
"""The whole CAV-MAE chain on a synthetic set, on the CPU (`make demo`).

    python demo/demo.py [--out work_dirs/demo] [--small]

1. writes synthetic videos (class tone + class colour), 2. extracts audio and
frames with the data tools, 3. builds train/test datalists, 4. pretrains a
small CAV-MAE, 5. tests zero-shot retrieval, 6. finetunes it as a
classifier, 7. tests it (top-1 accuracy over 10 frames), 8. draws
inpainting figures and training curves, 9. classifies one raw test video
with tools/infer.py (no extraction), 10. tags a 20-minute synthetic
recording whose class changes every 5 minutes window by window (JSON,
timeline figure, labelled video, subtitles), and ends with a report of
every output. ``--small`` is the quicker setting the test suite runs. With
``--shards`` step 3 also packs the datalists into WebDataset shards
(tools/data/pack_shards.py) and the pretraining and retrieval steps read
them (configs/demo/cavmae_demo_pretrain-shards.py). With ``--sync`` the
chain is CAV-MAE Sync's (configs/demo/cavmae-sync_demo_pretrain.py and
cavmae-sync-ft_demo.py): 4 frames are extracted per clip, each paired with
the audio segment centred on it, retrieval compares clips frame by frame
and the classifier reads whole clips; with both, Sync's pretraining and
retrieval read the shards (cavmae-sync_demo_pretrain-shards.py).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# Only the standard library: every step runs one of the repository's tools
# in its own process, as a user would type it.
ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs' / 'demo'


def step(title: str) -> None:
    print(f'\n=== {title} ===', flush=True)


def tool(path: str, *args) -> None:
    """Runs ``python ROOT/path args``; a failure stops the demo, naming the
    tool."""
    command = [sys.executable, str(ROOT / path), *map(str, args)]
    if subprocess.call(command):
        raise SystemExit(f'{path} failed: {" ".join(command)}')


def data_options(data: Path, workers: int) -> list:
    options = [
        f'{loader}.dataset.data_root={data}'
        for loader in ('train_dataloader', 'test_dataloader')
    ]
    for loader in ('train_dataloader', 'test_dataloader'):
        options.append(f'{loader}.num_workers={workers}')
        options.append(f'{loader}.persistent_workers={workers > 0}')
    return options


def split_datalists(data: Path, per_train: int) -> None:
    train, test = [], []
    for line in (data / 'labels_simple.csv').read_text().splitlines():
        index = int(line.split(',')[0].rsplit('_', 1)[1])
        (train if index < per_train else test).append(line + '\n')
    for name, lines in (('train', train), ('test', test)):
        (data / f'{name}_labels.csv').write_text(''.join(lines))
        tool('tools/data/build_datalist.py', data / f'{name}_labels.csv',
             data / f'{name}.json', '--audio-dir', data / 'audio',
             '--frames-dir', data / 'frames', '--label-csv',
             data / 'labels.csv', '--root', data)


def run(args) -> dict:
    out = args.out.resolve()
    data = out / 'data'
    classes = args.num_classes
    started = time.time()

    step('1/10 synthetic videos')
    tool('tools/data/make_synthetic.py', data, '--num-classes', classes,
         '--per-class', args.per_train + args.per_test, '--seconds', '1.5',
         '--size', '72')
    step('2/10 extract audio and frames')
    tool('tools/data/extract_audio.py', data / 'videos', data / 'audio',
         '--workers', args.workers)
    tool('tools/data/extract_frames.py', data / 'videos', data / 'frames',
         '--workers', args.workers, '--num-frames', 4 if args.sync else 10)
    step('3/10 datalists')
    split_datalists(data, args.per_train)

    options = data_options(data, args.workers)
    name = 'cavmae-sync' if args.sync else 'cavmae'
    pre_cfg = CONFIGS / f'{name}_demo_pretrain.py'
    if args.shards:
        # training lists shuffled across shards, evaluation lists in order
        tool('tools/data/pack_shards.py', data / 'train.json',
             data / 'shards' / 'train', '--data-root', data,
             '--samples-per-shard', 16, '--workers', max(args.workers, 1))
        tool('tools/data/pack_shards.py', data / 'test.json',
             data / 'shards' / 'test', '--data-root', data, '--no-shuffle',
             '--workers', max(args.workers, 1))
        pre_cfg = CONFIGS / f'{name}_demo_pretrain-shards.py'
    ft_cfg = CONFIGS / ('cavmae-sync-ft_demo.py'
                        if args.sync else 'cavmae-ft_demo.py')
    step(f'4/10 pretrain {"CAV-MAE Sync" if args.sync else "CAV-MAE"}')
    tool('tools/train.py', pre_cfg, '--work-dir', out / 'pretrain',
         '--cfg-options', *options,
         f'train_cfg.max_epochs={args.pretrain_epochs}')
    pretrained = out / 'pretrain' / f'epoch_{args.pretrain_epochs}.pth'
    step('5/10 zero-shot retrieval on the test clips')
    tool('tools/test.py', pre_cfg, pretrained, '--work-dir', out / 'retrieval',
         '--metrics-out', out / 'retrieval.json', '--cfg-options', *options)
    retrieval = json.loads((out / 'retrieval.json').read_text())
    step('6/10 finetune the classifier')
    tool('tools/train.py', ft_cfg, '--work-dir', out / 'finetune',
         '--cfg-options', *options, f'model.init_cfg.checkpoint={pretrained}',
         f'model.cls_head.num_classes={classes}',
         f'train_cfg.max_epochs={args.finetune_epochs}')
    finetuned = out / 'finetune' / f'epoch_{args.finetune_epochs}.pth'
    step(f'7/10 test the classifier ({4 if args.sync else 10} frames per '
         'clip)')
    tool('tools/test.py', ft_cfg, finetuned, '--work-dir',
         out / 'finetune_test', '--metrics-out', out / 'accuracy.json',
         '--cfg-options', *options, f'model.cls_head.num_classes={classes}')
    accuracy = json.loads((out / 'accuracy.json').read_text())
    step('8/10 inpainting figures and training curves')
    tool('tools/visualizations/inpaint.py', pre_cfg, pretrained, '--out-dir',
         out / 'inpainting', '--num', 2, '--cfg-options', *options)
    for run_name in ('pretrain', 'finetune'):
        tool('tools/analysis_tools/plot_logs.py', out / run_name, '--out',
             out / 'curves' / f'{run_name}.png')

    step('9/10 classify a raw video with tools/infer.py (top-5)')
    video = sorted((data / 'videos').glob('*.mp4'))[-1]
    infer_json = out / 'infer' / 'results.json'
    tool('tools/infer.py', video, '--config', ft_cfg, '--checkpoint',
         finetuned, '--topk', 5, '--out', infer_json, '--no-progress',
         '--cfg-options', *options, f'model.cls_head.num_classes={classes}')
    inferred = json.loads(infer_json.read_text())['results'][0]

    step(f'10/10 tag a {args.long_seconds / 60:g}-minute recording window by '
         'window (tools/infer.py --window)')
    long_dir = out / 'long'
    tool('tools/data/make_synthetic.py', long_dir, '--num-classes', classes,
         '--per-class', 1, '--seconds', '1', '--size', '72', '--long',
         args.long_seconds, '--change-every', args.long_seconds / 4)
    long_json = long_dir / 'results.json'
    tool('tools/infer.py', long_dir / 'long.mp4', '--config', ft_cfg,
         '--checkpoint', finetuned, '--topk', 3, '--window', 5, '--out',
         long_json, '--out-plot', long_dir / 'timeline.png', '--out-video',
         long_dir / 'labelled.mp4', '--out-subtitles', long_dir / 'labels.vtt',
         '--cfg-options', *options, f'model.cls_head.num_classes={classes}')
    tagged = json.loads(long_json.read_text())['results'][0]
    truth = json.loads((long_dir / 'long.json').read_text())['segments']

    test_clips = classes * args.per_test
    report = dict(
        minutes=round((time.time() - started) / 60, 1),
        long_recording=dict(
            seconds=tagged['duration'],
            windows=len(tagged['segments']),
            agreement=agreement(tagged['segments'], truth)),
        retrieval=retrieval,
        accuracy=accuracy,
        inference=inferred,
        # Clips of one class differ only in noise and the square's path, so
        # a model that matches classes perfectly still ranks the true
        # partner first only 1 time in per_test: that is the R@1 ceiling.
        chance=dict(
            retrieval_R1=100 / test_clips,
            retrieval_R5=100 * min(5, test_clips) / test_clips,
            accuracy=1 / classes),
        retrieval_R1_ceiling_class_level=100 / args.per_test,
        outputs=dict(
            videos=str(data / 'videos'),
            audio=str(data / 'audio'),
            frames=str(data / 'frames'),
            datalists=str(data / '{train,test}.json'),
            **(dict(shards=str(data /
                               'shards/{train,test}')) if args.shards else {}),
            pretrained=str(pretrained),
            finetuned=str(finetuned),
            inpainting=str(out / 'inpainting'),
            curves=str(out / 'curves'),
            inference=str(infer_json),
            long_recording=str(long_dir / '{results.json,timeline.png,'
                               'labelled.mp4,labels.vtt}'),
            logs=str(out / '*/*/*.log')))
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    return report


def agreement(segments: list, truth: list) -> float:
    """Share of the windows whose top label is the class playing at the
    window's centre (the recording's segments, make_synthetic.py
    --long)."""
    hits = 0
    for segment in segments:
        centre = (segment['start'] + segment['end']) / 2
        playing = next(t['index'] for t in truth
                       if t['start'] <= centre < t['end'] or t is truth[-1])
        hits += segment['predictions'][0]['index'] == playing
    return hits / len(segments)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Each option's default in its help; the epilog as written."""


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument(
        '--out',
        type=Path,
        default=Path('work_dirs/demo'),
        help='folder of every output')
    parser.add_argument(
        '--shards',
        action='store_true',
        help='pack the datalists into shards and pretrain from them')
    parser.add_argument(
        '--sync',
        action='store_true',
        help="CAV-MAE Sync's chain instead of CAV-MAE's")
    parser.add_argument(
        '--num-classes', type=int, default=4, help='synthetic classes')
    parser.add_argument(
        '--per-train', type=int, default=12, help='training clips per class')
    parser.add_argument(
        '--per-test', type=int, default=4, help='test clips per class')
    parser.add_argument(
        '--pretrain-epochs', type=int, default=15, help='pretraining epochs')
    parser.add_argument(
        '--finetune-epochs', type=int, default=8, help='finetuning epochs')
    parser.add_argument(
        '--long-seconds',
        type=float,
        default=1200.0,
        help='length of the recording tagged window by window in the last '
        'step (its class changes every quarter of it)')
    parser.add_argument(
        '--workers',
        type=int,
        default=2,
        help='extraction processes and loader workers')
    parser.add_argument(
        '--small',
        action='store_true',
        help='the quick setting of the test suite (8 '
        'training clips per class, 8 + 4 epochs, no '
        'workers)')
    args = parser.parse_args(argv)
    if args.small:
        args.per_train, args.pretrain_epochs, args.finetune_epochs = 8, 8, 4
        args.workers = 0
        args.long_seconds = min(args.long_seconds, 240.0)
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
    tagged = report['long_recording']
    print(f'{tagged["seconds"] / 60:g}-minute recording: top label right in '
          f'{tagged["agreement"]:.0%} of its {tagged["windows"]} windows')
    for name, path in report['outputs'].items():
        print(f'{name:>14}: {path}')
    print(f'     report: {args.out / "report.json"}')
    return report


if __name__ == '__main__':
    main()
