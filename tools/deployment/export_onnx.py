#!/usr/bin/env python
"""Export a finetuned CAV-MAE recognizer to ONNX and check it with onnxruntime.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx \
        [--modality audio_visual] [--opset 17] [--atol 1e-4] \
        [--cfg-options key=value ...]

Graph inputs (only those the modality reads; audio and audio_without_visual
take fbank, visual and visual_without_audio take frames; the official names
multimodal, audioonly, videoonly, missingaudioonly and missingvideoonly are
accepted too):
  fbank   float32 [B, T, F]     normalised fbank, as the data pipeline
                                outputs it (e.g. T=1024, F=128)
  frames  float32 [B, 3, H, W]  RGB on the 0-255 scale; the data
                                preprocessor's mean/std normalisation is in
                                the graph
Output: logits float32 [B, num_classes]. The batch axis is dynamic.

After the export, onnxruntime (CPU) and PyTorch run on the same random inputs
(batch 2); the tool prints the max abs difference of the logits and exits
with 1 if it exceeds --atol (the file is kept for inspection), or if the
config, checkpoint or export fails. Needs requirements/deploy.txt.
"""
import pickle
import sys
from pathlib import Path

# tools/, for the shared command line (cli_common.py)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import cli_common  # noqa: E402

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine and cavmae_mm are imported.

#: The keys of cavmae_mm.apis.deployment.ONNX_INPUTS (the recognizer's
#: modalities) and its DEFAULT_OPSET, without importing it.
MODALITIES = ('audio_visual', 'audio', 'visual', 'audio_without_visual',
              'visual_without_audio', 'multimodal', 'audioonly', 'videoonly',
              'missingaudioonly', 'missingvideoonly')
DEFAULT_OPSET = 17


def main(argv=None) -> int:
    parser = cli_common.make_parser(__doc__)
    cli_common.add_model_args(
        parser,
        'config file of the recognizer',
        'finetuned checkpoint',
        device=None)
    parser.add_argument(
        '--out', type=Path, required=True, help='the .onnx file to write')
    parser.add_argument(
        '--modality',
        choices=MODALITIES,
        help="overrides the config's model.modality")
    parser.add_argument(
        '--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset version')
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='largest accepted |onnxruntime - PyTorch| of '
        'the logits')
    args = parser.parse_args(argv)
    from cavmae_mm.apis.deployment import ONNX_INPUTS, check_onnx, export_onnx
    from cavmae_mm.models.modality import modality_name

    try:
        model = cli_common.start_model(args, device='cpu')
    except (OSError, KeyError, ValueError, TypeError, RuntimeError,
            SyntaxError, pickle.UnpicklingError) as err:
        print(
            f'error: cannot build the model of {args.config} with the '
            f'checkpoint {args.checkpoint}: {type(err).__name__}: {err}',
            file=sys.stderr)
        return 1
    # --modality overrides the config's model.modality (set on the copy
    # that is exported)
    modality = args.modality or getattr(model, 'modality', None)
    try:
        export_onnx(model, args.out, modality=modality, opset=args.opset)
        diff = check_onnx(model, args.out, modality=modality, batch_size=2)
    except TypeError as err:  # not a recognizer
        print(f'error: {args.config}: {err}', file=sys.stderr)
        return 1
    except (OSError, ValueError, RuntimeError) as err:  # names the file
        print(f'error: {err}', file=sys.stderr)
        return 1
    name = modality_name(modality)
    print(f'{args.out}: {name}, inputs '
          f'{", ".join(ONNX_INPUTS[name])}, opset {args.opset}')
    print(f'max abs difference of the logits, onnxruntime vs PyTorch '
          f'(batch 2): {diff:.3e}')
    if not diff <= args.atol:
        print(
            f'error: {args.out}: the max abs difference {diff:.3e} '
            f'exceeds --atol {args.atol:g}',
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
