#!/usr/bin/env python
"""Inpainting figures: masked input, reconstruction and original.

    python tools/visualizations/inpaint.py CONFIG CHECKPOINT --out-dir figs/ \
        [--num 8] [--mask-ratio-a 0.75] [--mask-ratio-v 0.75] [--seed 0]

For the first ``--num`` clips of the config's test set (frame 5; the middle
frame and its audio segment of a CAV-MAE Sync clip), writes one PNG per
clip: the audio spectrogram and the frame, each as original,
masked input and reconstruction (visible patches kept, masked ones
predicted). Use configs/cavmae-inpaint_vggsound.py with the no-norm-pix
checkpoint (CAV-MAE-Base-NoNorm), as the official src/inpaint.py; any
pretraining config works with
--cfg-options model.reconstruction_head.norm_pix=False.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, matplotlib, MMEngine and cavmae_mm are imported.

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_rgb(image):
    """Normalised [3, H, W] tensor -> displayable [H, W, 3] in [0, 1]."""
    import torch
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (image * std + mean).clamp(0, 1).permute(1, 2, 0)


def middle_frame(inputs: dict) -> dict:
    """A clip of N frames, each with its audio segment (CAV-MAE Sync's
    test pipelines: audios [B, N, T, F], imgs [B, N, 3, H, W]) -> its
    middle frame and segment; one frame per clip is returned as it is."""
    if inputs['imgs'].dim() != 5:
        return inputs
    middle = inputs['imgs'].shape[1] // 2
    return {
        key:
        value[:,
              middle] if value.dim() == (5 if key == 'imgs' else 4) else value
        for key, value in inputs.items()
    }


def draw(result: dict, index: int, title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    columns = ('original', 'masked', 'reconstruction')
    fig, axes = plt.subplots(
        2, 3, figsize=(12, 6), gridspec_kw=dict(height_ratios=[1, 2]))
    for col, name in enumerate(columns):
        spec = result['audio'][name][index, 0].cpu().numpy()
        axes[0, col].imshow(spec, origin='lower', aspect='auto', cmap='magma')
        axes[0, col].set_title(f'audio: {name}')
        frame = to_rgb(result["visual"][name][index].cpu())
        axes[1, col].imshow(frame.numpy())
        axes[1, col].set_title(f'frame: {name}')
        for row in range(2):
            axes[row, col].axis('off')
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    cli_common.add_model_args(parser, 'pretraining (CAVMAE) config file',
                              'its checkpoint file or URL')
    parser.add_argument(
        '--out-dir',
        type=Path,
        required=True,
        help='folder of the PNG figures')
    parser.add_argument(
        '--num',
        type=int,
        default=8,
        help="figures (the test set's first clips)")
    parser.add_argument(
        '--mask-ratio-a',
        type=float,
        help="masked share of the audio patches; none: "
        "the config's")
    parser.add_argument(
        '--mask-ratio-v',
        type=float,
        help="masked share of the frame patches; none: "
        "the config's")
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the masks')
    args = parser.parse_args(argv)
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import build_from_cfg
    from mmengine.utils import ProgressBar

    from cavmae_mm.apis import inpaint
    from cavmae_mm.registry import DATASETS
    model = cli_common.start_model(args)
    if not hasattr(model, 'reconstruct'):
        print(
            'error: inpainting needs a pretraining (CAVMAE) config',
            file=sys.stderr)
        return 1
    if args.mask_ratio_a is not None:
        model.mask_ratio_a = args.mask_ratio_a
    if args.mask_ratio_v is not None:
        model.mask_ratio_v = args.mask_ratio_v
    dataset = build_from_cfg(model.cfg.test_dataloader.dataset, DATASETS)
    count = min(args.num, len(dataset))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    bar = ProgressBar(count)
    for index in range(count):
        batch = model.data_preprocessor(pseudo_collate([dataset[index]]))
        result = inpaint(model, middle_frame(batch['inputs']))
        video_id = batch['data_samples'][0].metainfo.get(
            'video_id', str(index))
        draw(
            result, 0, f'{video_id}: audio {model.mask_ratio_a:.0%}, '
            f'frame {model.mask_ratio_v:.0%} masked',
            args.out_dir / f'{video_id}.png')
        bar.update()
    print(f'\n{count} figures in {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
