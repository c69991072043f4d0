#!/usr/bin/env python
"""Speed of CAV-MAE (and CAV-MAE Sync) training steps and of raw-video
inference.

    python tools/analysis_tools/benchmark.py    # model step, this machine
    python tools/analysis_tools/benchmark.py model --device cuda --batch 64 \
        --precision bf16
    python tools/analysis_tools/benchmark.py infer --workers 0 2

``model``: samples/s of a full training step (forward, backward, Adam) of
the pretraining model and of the finetuning recognizer, for the chosen
setting (device, batch, precision, attention path, torch.compile,
activation checkpointing) and, in the same process on the same weights and
inputs, for the reference computation: fp32, math attention, no compile,
plain Adam, the way the official implementation computes. It prints the
ratio, peak memory, model FLOPs per sample (cavmae_mm/models/flops.py), the
achieved FLOP/s and, on a GPU whose peak is known (or --peak-tflops), the
utilisation. The first step's losses of both settings are compared.

``long``: peak memory and time of classifying long synthetic recordings
window by window (--long-seconds, default 10 s, 20 min and 2 h; each in a
process of its own, the recognizer of --infer-config with random weights).

``infer``: inference from raw videos (tools/infer.py's path: decoding, the
config's test pipeline, the recognizer): clips/s for each --workers count
and --infer-batch size, the time per clip spent decoding (audio track and
the 10 seeked frames, fbank, resizing) vs in the model, and the cost of the
10 seeked frames against decoding the whole clip. ``model`` runs by
default; ``infer`` when named. The data pipeline of a recipe:
tools/analysis_tools/bench_processing.py.

Each prints a table and writes --out (JSON).
"""
import argparse
import copy
import json
import platform
import resource
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Dict, Optional

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library at module level: the arguments are parsed (and
# --help answered) before torch, MMEngine and cavmae_mm are imported; the
# functions import what they use.

ROOT = Path(__file__).resolve().parents[2]

# Dense bf16 / fp16 tensor-core peaks (TFLOP/s) by device-name fragment.
PEAK_TFLOPS = {
    'H200': 989.0,
    'H100 SXM': 989.0,
    'H100 80GB HBM3': 989.0,
    'H100 PCIe': 756.0,
    'H100': 756.0,
    'A100': 312.0,
    'L40S': 362.0,
    'A10': 125.0
}

TINY = dict(target_length=64, num_mel_bins=32, frame_size=32)
TINY_ENCODER = dict(
    embed_dim=32, depth=3, modality_specific_depth=2, num_heads=4)


# --------------------------------------------------------------- settings
def default_setting(device: str) -> Dict:
    """This package's default training setting on ``device``."""
    import torch

    from cavmae_mm.config import cpu_has_native_bf16
    if device.startswith('cuda'):
        precision = 'bf16' if torch.cuda.is_bf16_supported() else 'fp16'
    else:  # as tools/train.py: AutocastOptimWrapper or fp32
        precision = 'bf16' if cpu_has_native_bf16() else 'fp32'
    return dict(
        precision=precision,
        attention='fused',
        compile=False,
        with_cp=False,
        fused_adam=device.startswith('cuda'))


REFERENCE = dict(
    precision='fp32',
    attention='math',
    compile=False,
    with_cp=False,
    fused_adam=False)

#: The model of each --models choice: (config, size overrides of the tiny
#: smoke test). CAV-MAE Sync's finetuning sample is a clip of
#: sync_total_frame frames.
MODEL_CONFIGS = {
    'pretrain': 'configs/_base_/models/cavmae.py',
    'finetune': 'configs/_base_/models/cavmae_ft.py',
    'sync_pretrain': 'configs/cavmae-sync_as2m.py',
    'sync_finetune': 'configs/cavmae-sync-ft_as2m.py',
}
TINY_FRAMES = 4


def model_cfgs(size: str,
               kinds=tuple(MODEL_CONFIGS),
               num_classes: int = 527) -> Dict[str, dict]:
    """Model configs of ``kinds`` (keys of :data:`MODEL_CONFIGS`) at
    ``size``."""
    from cavmae_mm.config import load_config
    cfgs = {}
    for kind in kinds:
        cfg = load_config(str(ROOT / MODEL_CONFIGS[kind])).model.to_dict()
        cfg.pop('init_cfg', None)  # random weights; no pretrained file
        if 'cls_head' in cfg:
            cfg['cls_head']['num_classes'] = num_classes
        if size == 'tiny':
            cfg['backbone'].update(TINY, **TINY_ENCODER)
            if 'neck' in cfg:
                cfg['neck'].update(
                    TINY,
                    embed_dim=32,
                    decoder_embed_dim=16,
                    depth=2,
                    num_heads=2)
            if 'cls_head' in cfg:
                frames = 'num_frames' in cfg['cls_head']
                cfg['cls_head'].update(in_channels=64 if frames else 32)
                if frames:
                    cfg['cls_head'].update(num_frames=TINY_FRAMES, num_heads=2)
        cfgs[kind] = cfg
    return cfgs


def make_batch(model, kind: str, batch: int, device: str, seed: int = 0):
    import torch
    from mmaction.structures import ActionDataSample
    geometry = model.backbone.geometry
    gen = torch.Generator().manual_seed(seed)
    inputs = dict(
        audios=torch.randn(batch, *geometry.fbank_shape, generator=gen),
        imgs=torch.randn(batch, 3, *geometry.image_shape, generator=gen))
    frames = getattr(getattr(model, 'cls_head', None), 'num_frames', None)
    if frames:  # CAV-MAE Sync: clips of ``frames`` frame-pairs
        if batch % frames:
            raise ValueError(f'--batch {batch} is not a whole number of '
                             f'{frames}-frame clips')
        inputs = {k: v.unflatten(0, (-1, frames)) for k, v in inputs.items()}
        batch //= frames
    inputs = {k: v.to(device) for k, v in inputs.items()}
    samples, extra = None, {}
    if kind.endswith('pretrain'):
        # explicit masking noise: every setting (compiled ones too, whose
        # random numbers come from another generator) masks the same tokens
        extra['noise'] = dict(
            audios=torch.rand(
                batch, geometry.num_audio_patches, generator=gen),
            imgs=torch.rand(batch, geometry.num_visual_patches, generator=gen))
        extra['noise'] = {k: v.to(device) for k, v in extra['noise'].items()}
    if kind.endswith('finetune'):
        classes = model.cls_head.num_classes
        samples = []
        for _ in range(batch):
            sample = ActionDataSample()
            sample.set_gt_label((torch.rand(classes, generator=gen)
                                 < 0.02).float().to(device))
            samples.append(sample)
    return inputs, samples, extra


# ------------------------------------------------------------ model step
class Step:
    """One training step of ``model`` under ``setting``."""

    def __init__(self, model, setting: Dict, device: str) -> None:
        import torch

        from cavmae_mm.models.layers import set_fused_attention
        self.model = model
        self.setting = setting
        self.device = device
        set_fused_attention(model, setting['attention'] == 'fused')
        for module in (model.backbone, getattr(model, 'neck', None)):
            if module is not None:
                module.with_cp = setting['with_cp']
        params = [p for p in model.parameters() if p.requires_grad]
        extra = dict(fused=True) if setting['fused_adam'] else {}
        self.optimizer = torch.optim.Adam(
            params, lr=1e-6, betas=(0.95, 0.999), weight_decay=5e-7, **extra)
        dtype = dict(
            fp32=None, fp16=torch.float16,
            bf16=torch.bfloat16)[setting['precision']]
        self.autocast = (lambda: torch.autocast(
            device.split(':')[0], dtype=dtype)) if dtype else nullcontext
        self.scaler = torch.amp.GradScaler(device.split(':')[0]) \
            if setting['precision'] == 'fp16' else None
        self.forward = torch.compile(model.forward) if setting['compile'] \
            else model.forward

    def __call__(self, inputs, samples, extra) -> Dict[str, float]:
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast():
            losses = self.forward(inputs, samples, mode='loss', **extra)
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        if self.scaler is not None:
            self.scaler.scale(total).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            total.backward()
            self.optimizer.step()
        return losses


def synchronize(device: str) -> None:
    if device.startswith('cuda'):
        import torch
        torch.cuda.synchronize()


def peak_memory_gb(device: str) -> Optional[float]:
    if device.startswith('cuda'):
        import torch
        return torch.cuda.max_memory_allocated() / 2**30
    return None


def time_setting(base_model, kind: str, setting: Dict, args) -> Dict:
    """samples/s, peak memory and first-step losses of one setting."""
    import torch
    model = copy.deepcopy(base_model).to(args.device)
    model.train()
    step = Step(model, setting, args.device)
    batch = make_batch(model, kind, args.batch, args.device)
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    torch.manual_seed(0)
    first = {k: float(v.detach()) for k, v in step(*batch).items()}
    for _ in range(args.warmup - 1):
        step(*batch)
    synchronize(args.device)
    started = time.perf_counter()
    for _ in range(args.steps):
        step(*batch)
    synchronize(args.device)
    seconds = (time.perf_counter() - started) / args.steps
    result = dict(
        setting=setting,
        step_s=seconds,
        samples_per_s=args.batch / seconds,
        peak_memory_gb=peak_memory_gb(args.device),
        first_step_losses=first)
    del step, model
    return result


def device_peak_tflops(device: str, given: Optional[float]) -> Optional[float]:
    if given:
        return given
    if not device.startswith('cuda'):
        return None
    import torch
    name = torch.cuda.get_device_name(device)
    for fragment, peak in PEAK_TFLOPS.items():
        if fragment in name:
            return peak
    return None


def benchmark_models(args) -> Dict:
    import torch

    from cavmae_mm.checkpoint import init_quietly
    from cavmae_mm.models.flops import pretrain_flops, recognizer_flops
    from cavmae_mm.registry import MODELS
    torch.manual_seed(0)
    chosen = default_setting(args.device)
    for key in ('precision', 'attention'):
        if getattr(args, key):
            chosen[key] = getattr(args, key)
    chosen['compile'] = args.compile
    chosen['with_cp'] = args.with_cp
    if args.fused_adam is not None:
        chosen['fused_adam'] = args.fused_adam
    peak = device_peak_tflops(args.device, args.peak_tflops)
    results = {}
    for kind, cfg in model_cfgs(args.size, args.models).items():
        model = MODELS.build(cfg)
        init_quietly(model)
        flops = (pretrain_flops(model, args.batch) if kind.endswith('pretrain')
                 else recognizer_flops(model))['train_step']
        print(f'{kind}: reference ...', flush=True)
        reference = time_setting(model, kind, REFERENCE, args)
        print(f'{kind}: chosen setting ...', flush=True)
        measured = time_setting(model, kind, chosen, args)
        for entry in (reference, measured):
            entry['tflops_per_s'] = flops * entry['samples_per_s'] / 1e12
            entry['utilisation'] = (
                entry['tflops_per_s'] / peak if peak else None)
        loss_ref = sum(v for k, v in reference['first_step_losses'].items()
                       if k.startswith('loss'))
        loss_new = sum(v for k, v in measured['first_step_losses'].items()
                       if k.startswith('loss'))
        results[kind] = dict(
            flops_per_sample=flops,
            reference=reference,
            chosen=measured,
            speedup=measured['samples_per_s'] / reference['samples_per_s'],
            first_loss_rel_diff=abs(loss_new - loss_ref) /
            max(abs(loss_ref), 1e-12))
    return dict(
        device=describe_device(args.device),
        batch=args.batch,
        size=args.size,
        peak_tflops=peak,
        models=results)


def describe_device(device: str) -> str:
    import torch
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    return (f'CPU {platform.processor() or platform.machine()}, '
            f'{torch.get_num_threads()} threads')


# ------------------------------------------------------- raw-file inference
def benchmark_infer(args) -> Dict:
    """Clips/s of raw-video classification, and where the time goes."""
    import av
    import torch

    from cavmae_mm.apis import RawMediaClassifier, init_model
    from cavmae_mm.config import parse_cfg_options
    from cavmae_mm.datasets.raw_media_dataset import model_batch
    from cavmae_mm.utils.video_io import read_official_frames
    options = parse_cfg_options(args.infer_cfg_options)
    options.update(tiny_infer_options(args))
    model = init_model(args.infer_config, None, args.device, options)
    classifier = RawMediaClassifier(model)
    from data_tools import synthetic_videos
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_videos(Path(tmp), 2, args.clips)
        files = sorted(str(p) for p in Path(tmp, 'videos').glob('*.mp4'))
        start = time.perf_counter()
        samples = [classifier.loader(f) for f in files]
        decode_s = (time.perf_counter() - start) / len(files)
        start = time.perf_counter()
        for f in files:
            read_official_frames(f)
        seek_s = (time.perf_counter() - start) / len(files)
        start = time.perf_counter()
        for f in files:
            with av.open(f) as container:
                for frame in container.decode(video=0):
                    frame.to_ndarray(format='rgb24')
        whole_s = (time.perf_counter() - start) / len(files)
        with torch.no_grad():
            model.test_step(model_batch(samples[:1]))  # warm-up
            synchronize(args.device)
            start = time.perf_counter()
            for sample in samples:
                model.test_step(model_batch([sample]))
            synchronize(args.device)
        model_s = (time.perf_counter() - start) / len(files)
        rates = {}
        for workers in args.workers:
            for batch in args.infer_batch:
                start = time.perf_counter()
                out = classifier.run(files, 1, batch, workers)
                synchronize(args.device)
                if out['errors']:
                    raise SystemExit(f'inference failed: {out["errors"]}')
                rates[f'workers={workers} batch={batch}'] = \
                    len(files) / (time.perf_counter() - start)
    return dict(
        config=args.infer_config,
        size=args.size,
        device=describe_device(args.device),
        clips=len(files),
        clip_seconds=10,
        decode_ms_per_clip=decode_s * 1e3,
        model_ms_per_clip=model_s * 1e3,
        decode_share=decode_s / (decode_s + model_s),
        seeked_10_frames_ms=seek_s * 1e3,
        whole_clip_frames_ms=whole_s * 1e3,
        clips_per_s=rates)


# ------------------------------------------------------------------ output
def print_tables(report: Dict) -> None:
    if 'long' in report:
        m = report['long']
        print(f'\nlong recordings, {m["size"]} {m["config"]}, {m["device"]}, '
              f'{m["batch"]} windows per batch')
        print(f'{"seconds":>9} {"windows":>8} {"time s":>8} {"win/s":>7} '
              f'{"peak GB":>8}')
        for r in m['runs']:
            print(f'{r["duration"]:>9.1f} {r["windows"]:>8} '
                  f'{r["seconds"]:>8.1f} {r["windows_per_s"]:>7.2f} '
                  f'{r["peak_rss_gb"]:>8.2f}')
    if 'model' in report:
        m = report['model']
        print(f'\nmodel step, {m["device"]}, batch {m["batch"]}, '
              f'{m["size"]} size')
        print(f'{"model":<9} {"setting":<38} {"samples/s":>10} '
              f'{"TFLOP/s":>8} {"util":>6} {"peak GB":>8}')
        for kind, r in m['models'].items():
            for label in ('reference', 'chosen'):
                e = r[label]
                s = e['setting']
                text = (f'{label}: {s["precision"]} {s["attention"]}'
                        f'{" compile" if s["compile"] else ""}'
                        f'{" cp" if s["with_cp"] else ""}'
                        f'{" fusedAdam" if s["fused_adam"] else ""}')
                util = f'{e["utilisation"]:.1%}' if e['utilisation'] \
                    else '-'
                mem = f'{e["peak_memory_gb"]:.1f}' \
                    if e['peak_memory_gb'] is not None else '-'
                print(f'{kind:<9} {text:<38} {e["samples_per_s"]:>10.2f} '
                      f'{e["tflops_per_s"]:>8.3f} {util:>6} {mem:>8}')
            print(f'{kind:<9} speed-up x{r["speedup"]:.2f}; '
                  f'{r["flops_per_sample"] / 1e9:.1f} GFLOP per sample; '
                  f'first-step loss rel. diff '
                  f'{r["first_loss_rel_diff"]:.1e}')
    if 'infer' in report:
        r = report['infer']
        print(f'\nraw-video inference, {r["device"]}, {r["size"]} model, '
              f'{r["clips"]} clips of {r["clip_seconds"]} s')
        print(f'  per clip: decoding {r["decode_ms_per_clip"]:.0f} ms, '
              f'model {r["model_ms_per_clip"]:.0f} ms (decoding '
              f'{r["decode_share"]:.0%}); 10 seeked frames '
              f'{r["seeked_10_frames_ms"]:.0f} ms vs whole clip '
              f'{r["whole_clip_frames_ms"]:.0f} ms')
        for setting, rate in r['clips_per_s'].items():
            print(f'  {setting}: {rate:.2f} clips/s')


# ------------------------------------------------------ long recordings
def tiny_infer_options(args) -> dict:
    """The --size tiny overrides of the inference model."""
    if args.size != 'tiny':
        return {}
    return {
        'model.backbone.embed_dim': 32,
        'model.backbone.depth': 3,
        'model.backbone.modality_specific_depth': 2,
        'model.backbone.num_heads': 4,
        'model.cls_head.in_channels': 32
    }


def long_child(args) -> Dict:
    """One measurement in this (fresh) process: classify
    ``args.long_child`` window by window; seconds, windows and this
    process's peak resident memory."""
    from cavmae_mm.apis import (LongMediaClassifier, RawMediaClassifier,
                                init_model)
    from cavmae_mm.config import parse_cfg_options
    options = parse_cfg_options(args.infer_cfg_options)
    options.update(tiny_infer_options(args))
    model = init_model(args.infer_config, None, args.device, options)
    classifier = LongMediaClassifier(
        RawMediaClassifier(model), batch_size=args.long_batch)
    start = time.perf_counter()
    result = classifier.classify_file(args.long_child)
    seconds = time.perf_counter() - start
    return dict(
        duration=result['duration'],
        windows=len(result['segments']),
        seconds=seconds,
        windows_per_s=len(result['segments']) / seconds,
        peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)


def benchmark_long(args) -> Dict:
    """Peak memory and time of classifying recordings of each
    --long-seconds length window by window (tools/infer.py's path), each
    in its own process; the recordings are synthetic (make_synthetic.py
    --long, 96 px, 10 fps)."""
    import subprocess
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for length in args.long_seconds:
            folder = Path(tmp) / f'long_{length:g}'
            subprocess.run([
                sys.executable,
                str(ROOT / 'tools/data/make_synthetic.py'),
                str(folder), '--num-classes', '4', '--per-class', '1',
                '--seconds', '1', '--long',
                str(length), '--change-every',
                str(max(length / 4, 1))
            ],
                           check=True,
                           stdout=subprocess.DEVNULL)
            command = [
                sys.executable, __file__, 'long', '--long-child',
                str(folder / 'long.mp4'), '--size', args.size, '--device',
                args.device, '--infer-config', args.infer_config,
                '--long-batch',
                str(args.long_batch)
            ]
            if args.infer_cfg_options:
                command += ['--infer-cfg-options', *args.infer_cfg_options]
            out = subprocess.run(
                command, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(
                f'  {length:g} s: {row["windows"]} windows in '
                f'{row["seconds"]:.1f} s, peak {row["peak_rss_gb"]:.2f} GB',
                flush=True)
            rows.append(row)
    return dict(
        config=args.infer_config,
        size=args.size,
        device=describe_device(args.device),
        batch=args.long_batch,
        runs=rows)


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__)
    parser.add_argument(
        'what',
        nargs='*',
        metavar='{model,infer}',
        help='what to measure; none: model')
    parser.add_argument(
        '--out', default='benchmark.json', help='JSON report to write')
    group = parser.add_argument_group('model step')
    group.add_argument(
        '--models',
        nargs='+',
        default=['pretrain', 'finetune'],
        choices=['pretrain', 'finetune', 'sync_pretrain', 'sync_finetune'],
        help='models whose training step is timed (sync_*: CAV-MAE Sync; '
        'a sync_finetune sample is a frame-pair: --batch a multiple of its '
        'clip frames)')
    group.add_argument(
        '--size',
        default='full',
        choices=['full', 'tiny'],
        help='model size (tiny: a smoke test)')
    group.add_argument(
        '--device',
        default='auto',
        help='e.g. cuda, cuda:1, cpu; auto: cuda if '
        'available, else cpu')
    group.add_argument(
        '--batch',
        type=int,
        help='samples per step; none: 64 on CUDA, 2 on the '
        'CPU')
    group.add_argument(
        '--precision',
        choices=['fp32', 'fp16', 'bf16'],
        help="none: this package's default on the device")
    group.add_argument(
        '--attention',
        choices=['fused', 'math'],
        help="none: this package's default (fused)")
    group.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the forward pass')
    group.add_argument(
        '--with-cp', action='store_true', help='activation checkpointing')
    group.add_argument(
        '--fused-adam',
        type=lambda s: s == 'true',
        metavar='{true,false}',
        help='fused Adam; none: on CUDA only')
    group.add_argument(
        '--steps', type=int, default=5, help='timed steps per setting')
    group.add_argument(
        '--warmup', type=int, default=2, help='untimed steps before them')
    group.add_argument(
        '--peak-tflops',
        type=float,
        help='device peak for the utilisation column; none: '
        'from the GPU name when known')
    group = parser.add_argument_group('raw-video inference (also --size, '
                                      '--device)')
    group.add_argument(
        '--clips',
        type=int,
        default=16,
        help='synthetic 10 s clips to classify')
    group.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[0, 2],
        help='decoding worker counts to measure')
    group.add_argument(
        '--infer-config',
        default=str(ROOT / 'configs/cavmae-ft_as2m.py'),
        help='recognizer config of the inference')
    group.add_argument(
        '--infer-batch',
        type=int,
        nargs='+',
        default=[1, 4],
        help='inference batch sizes to measure')
    group.add_argument(
        '--infer-cfg-options',
        nargs='+',
        metavar='KEY=VALUE',
        help='override entries of --infer-config, key=value')
    group = parser.add_argument_group(
        'long recordings (also --size, --device, --infer-config)')
    group.add_argument(
        '--long-seconds',
        type=float,
        nargs='+',
        default=[10.0, 1200.0, 7200.0],
        help='lengths of the synthetic recordings')
    group.add_argument(
        '--long-batch', type=int, default=8, help='windows per forward pass')
    group.add_argument('--long-child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.what = args.what or ['model']
    unknown = set(args.what) - {'model', 'infer', 'long'}
    if unknown:
        parser.error(f'unknown benchmark(s) {sorted(unknown)}; choose from '
                     'model, infer, long (the data pipeline: '
                     'tools/analysis_tools/bench_processing.py)')
    if args.device == 'auto':
        import torch
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.batch is None:
        args.batch = 64 if args.device.startswith('cuda') else 2
    return args


def main(argv=None) -> Dict:
    args = parse_args(argv)
    import torch

    import cavmae_mm  # noqa: F401
    if args.long_child:  # one measurement of ``long``, in its own process
        print(json.dumps(long_child(args)))
        return {}
    report = dict(torch=torch.__version__)
    if 'long' in args.what:
        report['long'] = benchmark_long(args)
    if 'model' in args.what:
        report['model'] = benchmark_models(args)
    if 'infer' in args.what:
        report['infer'] = benchmark_infer(args)
    report['max_rss_gb'] = resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 2**20
    print_tables(report)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(f'\nwritten: {args.out}')
    return report


if __name__ == '__main__':
    main()
