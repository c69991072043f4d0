#!/usr/bin/env python
"""FLOPs and parameters of a config's CAV-MAE model.

    python tools/analysis_tools/get_flops.py configs/cavmae-ft_as2m.py
    python tools/analysis_tools/get_flops.py configs/cavmae_as2m.py \\
        --shape 224 --audio-shape 1024 128 --batch-size 48

Builds the config's model without weights (on PyTorch's meta device: no
memory, no download) and prints two tables: the parameters of each part
(the encoder's audio-specific, visual-specific and shared parameters apart;
trainable as built) and the FLOPs per sample of each use of the model:

- a pretraining model (CAVMAE): its training step (masking and, for the
  contrastive term, the batch size of the config or ``--batch-size``) and
  each encoder path without masking (audio and visual serve retrieval and
  features, joint the fused representation);
- a recognizer (CAVMAERecognizer): every modality, the config's first, per
  frame (a test clip of N frames costs N forwards).

The counts come from ``cavmae_mm.models.flops``: the matrix products
(linear layers, patch embeddings, the two attention products), 2 FLOPs per
multiply-add, checked against ``torch.utils.flop_counter`` in the tests;
normalisation, activations and softmax are left out (a few percent), and a
training step is 3 x the forward. MMAction2's script of the same name feeds
one image tensor to ``extract_feat``, which these audio-visual models do not
take (``'Tensor' object has no attribute 'get'``).

``--shape`` (MMAction2's flag) sets the image side, ``--audio-shape`` the
fbank frames and mel bins; both default to the config's. Exit status: 0
done, 1 the config or model cannot be built (the message says why), 2
wrong arguments.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.


def parse_args(argv=None):
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        metavar='SIZE',
        help="image size: H, or H W (square images); None: "
        "the config's input_geometry.frame_size")
    parser.add_argument(
        '--audio-shape',
        type=int,
        nargs=2,
        metavar=('FRAMES', 'MEL_BINS'),
        help='fbank size: frames (10 ms each) and mel bins; '
        "None: the config's input_geometry (target_length, num_mel_bins)")
    parser.add_argument(
        '--batch-size',
        type=int,
        help='samples per pretraining step (the contrastive '
        "term grows with it); None: the config's "
        'train_dataloader.batch_size')
    cli_common.add_cfg_options(
        parser, 'override config entries (e.g. '
        'model.mask_ratio_a=0.5)')
    args = parser.parse_args(argv)
    if args.shape is not None:
        if len(args.shape) not in (1, 2):
            parser.error('--shape takes H or H W (the image side)')
        if len(set(args.shape)) != 1:
            parser.error(f'--shape {args.shape[0]} {args.shape[1]}: the '
                         'encoder takes square images only')
    for name in ('shape', 'audio_shape', 'batch_size'):
        values = getattr(args, name)
        values = values if isinstance(values, list) else [values]
        if any(v is not None and v <= 0 for v in values):
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return parser, args


def shape_options(args) -> dict:
    """--shape and --audio-shape as ``input_geometry`` overrides."""
    sizes = {}
    if args.shape:
        sizes['frame_size'] = args.shape[0]
    if args.audio_shape:
        sizes['target_length'], sizes['num_mel_bins'] = args.audio_shape
    return {f'input_geometry.{key}': value for key, value in sizes.items()}


def build_model(cfg):
    """The model without weights: on the meta device, else on the CPU."""
    import torch

    from cavmae_mm.registry import MODELS
    try:
        with torch.device('meta'):
            return MODELS.build(cfg.model)
    except (NotImplementedError, RuntimeError):
        return MODELS.build(cfg.model)


def si(value) -> str:
    """``value`` with an SI prefix and 2 decimals (e.g. ``132.40 G``)."""
    if value is None:
        return '-'
    for factor, prefix in ((1e12, 'T'), (1e9, 'G'), (1e6, 'M'), (1e3, 'K')):
        if abs(value) >= factor:
            return f'{value / factor:.2f} {prefix}'
    return f'{value:.0f}'


def report(config: str, model, batch_size: int) -> str:
    """The inputs line and the two tables."""
    from cavmae_mm.evaluation import text_table
    from cavmae_mm.models.flops import model_flops, parameter_counts
    rows = model_flops(model, batch_size)  # TypeError: another model
    geometry = model.backbone.geometry
    kind = type(model).__name__
    if hasattr(model, 'modality'):
        kind += f', modality {model.modality}'
    lines = [
        f'{config}: {kind}',
        f'inputs: fbank {geometry.target_length} frames x '
        f'{geometry.num_mel_bins} mel bins ({geometry.num_audio_patches} '
        f'audio patches), image {geometry.frame_size} x '
        f'{geometry.frame_size} ({geometry.num_visual_patches} visual '
        'patches)', ''
    ]
    counts = parameter_counts(model)
    lines.append(
        text_table(
            ['parameters', 'total', 'trainable'],
            [[part, si(c['total']), si(c['trainable'])]
             for part, c in counts.items()]))
    lines.append('')
    lines.append(
        text_table(['FLOPs per sample', 'forward', 'train step'],
                   [[row.name, si(row.forward),
                     si(row.train_step)] for row in rows]))
    lines.append('')
    lines.append('FLOPs: matrix products, 2 per multiply-add (normalisation, '
                 'activations, softmax left out); a train step is 3 x the '
                 'forward' +
                 ('; per frame: a test clip of N frames costs N '
                  'forwards' if hasattr(model, 'modality') else ''))
    return '\n'.join(lines)


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    from cavmae_mm.config import load_config
    options = dict(cli_common.cfg_options(args, parser) or {})
    options.update(shape_options(args))
    try:
        cfg = load_config(args.config, options)
    except (OSError, ValueError, KeyError, SyntaxError, ImportError) as err:
        print(
            f'error: cannot load the config {args.config}: {err}',
            file=sys.stderr)
        return 1
    if not cfg.get('model') or not cfg.model.get('backbone'):
        print(
            f'error: {args.config} has no model with a backbone',
            file=sys.stderr)
        return 1
    batch_size = args.batch_size or (
        (cfg.get('train_dataloader') or {}).get('batch_size') or 1)
    try:
        model = build_model(cfg)
        text = report(args.config, model, batch_size)
    except (KeyError, ValueError, TypeError) as err:
        print(
            f'error: cannot count the model of {args.config}: '
            f'{type(err).__name__}: {err}',
            file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
