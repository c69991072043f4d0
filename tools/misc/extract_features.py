#!/usr/bin/env python
"""Extract audio, visual and joint embeddings of raw files or a datalist.

    python tools/misc/extract_features.py CONFIG CHECKPOINT --out feats.pt \
        [--inputs VIDEOS_OR_AUDIO ... | --datalist data.json \
         --label-csv labels.csv --data-root DIR] \
        [--features audio visual joint] [--batch-size 32] [--device cuda]

CONFIG is a config file or a model-zoo name (configs/metafile.yml);
CHECKPOINT this package's, an official one as released, or a URL. With
--inputs, raw videos and audio files (files, folders, .txt lists) are
decoded as the official extraction would and embedded directly (no
datalist); a file lacking a modality a feature needs is reported and the
exit code is 1. Otherwise the config's test data loader is used (its
pipeline should select one frame per clip, e.g. the retrieval configs, or
align an audio segment to each frame, the CAV-MAE Sync configs), or, with
--datalist, the same pipeline on another datalist. The features are the
retrieval ones: mean-pooled for CAV-MAE; for CAV-MAE Sync the global token
of each of a clip's K frames (the joint path, mean-pooled). Writes a .pt
with ``video_id`` (the ids, or the input paths) and an [N, D] ([N, K, D]
for K frames) float tensor per feature, or, with an output folder (no .pt
suffix), one .npy per feature plus video_ids.txt. A .pt of the audio and
visual features is an index for tools/misc/av_search.py.
"""
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.

#: cavmae_mm.apis.FEATURES, without importing it.
FEATURES = ('audio', 'visual', 'joint')


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    cli_common.add_model_args(parser)
    parser.add_argument(
        '--out',
        type=Path,
        required=True,
        help='.pt file, or a folder for .npy files')
    parser.add_argument(
        '--inputs',
        nargs='+',
        help='raw videos / audio '
        'files, folders or .txt lists to embed')
    parser.add_argument(
        '--datalist', help='datalist instead of the '
        "config's test set")
    parser.add_argument(
        '--label-csv', help="label CSV instead of the config's")
    parser.add_argument(
        '--data-root', help="data root instead of the config's")
    parser.add_argument(
        '--features',
        nargs='+',
        default=list(FEATURES),
        choices=FEATURES,
        help='embeddings to write')
    parser.add_argument(
        '--batch-size',
        type=int,
        help="none: 8 with --inputs, else the config's")
    parser.add_argument(
        '--num-workers',
        type=int,
        help="decoding processes / loader workers; none: "
        "0 with --inputs, else the config's")
    cli_common.add_window_args(parser)
    args = parser.parse_args(argv)
    cli_common.check_window_args(parser, args)
    from mmengine.runner import Runner

    from cavmae_mm.apis import embed_files, extract_features

    model = cli_common.start_model(args)
    if args.inputs:
        try:
            result = embed_files(
                model,
                args.inputs,
                args.features,
                args.batch_size or 8,
                args.num_workers or 0,
                show_progress=True,
                window=args.window,
                stride=args.stride)
        except ValueError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
        errors = result.pop('errors')
        save(result, args.out, args.features)
        for error in errors:
            print(f'failed: {error["error"]}', file=sys.stderr)
        return 1 if errors else 0
    loader_cfg = model.cfg.test_dataloader.copy()
    dataset = loader_cfg.dataset
    for key, value in (('ann_file', args.datalist),
                       ('label_file', args.label_csv), ('data_root',
                                                        args.data_root)):
        if value is not None:
            dataset[key] = value
    if args.batch_size:
        loader_cfg.batch_size = args.batch_size
    if args.num_workers is not None:
        loader_cfg.num_workers = args.num_workers
        if args.num_workers == 0:
            loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    try:
        result = extract_features(model, loader, args.features)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    save(result, args.out, args.features)
    return 0


def save(result: dict, out: Path, features) -> None:
    """A .pt file, or a folder of .npy files plus video_ids.txt."""
    import numpy as np
    import torch
    if out.suffix == '.pt':
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(result, out)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name in features:
            np.save(out / f'{name}.npy', result[name].numpy())
        (out / 'video_ids.txt').write_text('\n'.join(result['video_id']) +
                                           '\n')
        if 'start' in result:  # raw files: the seconds of each row
            (out / 'times.txt').write_text(''.join(
                f'{a}\t{b}\n' for a, b in zip(result['start'], result['end'])))
    sizes = ', '.join(f'{k} {tuple(result[k].shape)}' for k in features)
    print(f'\n{out}: {len(result["video_id"])} clips; {sizes}')


if __name__ == '__main__':
    sys.exit(main())
