#!/usr/bin/env python
"""Build the CAV-MAE pretraining initialisation from a vision-MAE ViT-B.

    python tools/model_converters/adapt_imagenet_mae.py \
        mae_pretrain_vit_base_full.pth init.pth

Reads the ImageNet MAE checkpoint (its ``model`` dict, with the decoder) and
writes a cavmae_mm pretraining checkpoint by the reference's rules: blocks
0..k-1 go to both ``blocks_a`` and ``blocks_v``, the rest to ``blocks_u``
(whose audio and visual LayerNorms copy the joint ones); the final ``norm``
goes to ``norm``, ``norm_a`` and ``norm_v``; the patch embedding goes to the
visual one and, summed over RGB, to the audio one; the position tables
without the cls token go to the visual tables; the decoder is copied, and
``decoder_pred`` goes to the visual predictor and its first p*p rows to the
audio predictor. Everything else keeps the model's own initialisation
(sin-cos audio tables, modality embeddings), drawn with ``--seed``.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch and cavmae_mm are imported.


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    parser.add_argument('src', type=Path, help='vision-MAE checkpoint')
    parser.add_argument('dst', type=Path, help='file to write')
    parser.add_argument(
        '--modality-specific-depth',
        type=int,
        default=11,
        help='blocks copied to both blocks_a and blocks_v '
        '(the rest go to blocks_u)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the tensors the MAE does not provide')
    args = parser.parse_args(argv)
    import torch

    from cavmae_mm.checkpoint import (CheckpointError, CheckpointMismatch,
                                      imagenet_mae_to_official, load_tensors,
                                      official_to_mm)
    from cavmae_mm.registry import MODELS
    try:
        mae = load_tensors(args.src, key='model')
        mapped, _, _ = official_to_mm(
            imagenet_mae_to_official(mae, args.modality_specific_depth))
    except (FileNotFoundError, CheckpointError, CheckpointMismatch) as err:
        print(f'error: {args.src}: {err}', file=sys.stderr)
        return 1
    embed_dim = mapped['backbone.patch_embed_v.proj.weight'].shape[0]
    dec_dim = mapped['neck.embed.weight'].shape[0]
    shared_depth = 1 + max(
        int(k.split('.')[2])
        for k in mapped if k.startswith('backbone.blocks_u.'))
    torch.manual_seed(args.seed)
    model = MODELS.build(
        dict(
            type='CAVMAE',
            backbone=dict(
                type='CAVMAEEncoder',
                embed_dim=embed_dim,
                num_heads=12,
                depth=args.modality_specific_depth + shared_depth,
                modality_specific_depth=args.modality_specific_depth),
            neck=dict(
                type='CAVMAEDecoder',
                embed_dim=embed_dim,
                decoder_embed_dim=dec_dim,
                num_heads=16,
                depth=1 + max(
                    int(k.split('.')[2])
                    for k in mapped if k.startswith('neck.blocks.'))),
            reconstruction_head=dict(type='CAVMAEReconstructionHead'),
            contrastive_head=dict(type='CAVMAEContrastiveHead')))
    model.init_weights()
    state = model.state_dict()
    wrong = [
        k for k, v in mapped.items()
        if k not in state or state[k].shape != v.shape
    ]
    if wrong:
        print(
            f'error: {args.src}: tensors do not fit CAV-MAE: {wrong[:5]}',
            file=sys.stderr)
        return 1
    state.update(mapped)
    torch.save(
        dict(
            meta=dict(adapted_from=args.src.name, kind='pretrain'),
            state_dict=state), args.dst)
    print(f'{args.src} -> {args.dst}: {len(mapped)} of {len(state)} tensors '
          'from the MAE, the rest initialised')
    return 0


if __name__ == '__main__':
    sys.exit(main())
