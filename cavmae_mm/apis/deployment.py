"""ONNX export of the finetuned recognizer, and its check with onnxruntime.

The exported graph takes the model's inputs as the data pipeline delivers
them and returns the logits:

* ``fbank``: float32 [B, T, F], the normalised fbank (``NormalizeFbank``'s
  output, e.g. T=1024, F=128);
* ``frames``: float32 [B, 3, H, W], RGB on the 0-255 scale; the data
  preprocessor's ``(x / 255 - mean) / std`` is part of the graph;
* ``logits``: float32 [B, num_classes], before any sigmoid or softmax.

Only the inputs the modality reads are graph inputs (see
:data:`ONNX_INPUTS`). The batch axis of every input and output is dynamic.
Clips tested with several frames are run frame by frame; averaging their
predictions (the head's ``average_clips``) is left to the caller. A CAV-MAE
Sync recognizer whose head classifies whole clips
(``CAVMAEFrameAttentionHead``) takes the clip's N frames and their audio
segments instead: ``fbank`` [B, N, T, F], ``frames`` [B, N, 3, H, W],
``logits`` [B, num_classes].

The export uses PyTorch's TorchScript-based exporter
(``torch.onnx.export(..., dynamo=False)``): it needs only the ``onnx``
package, where the ``torch.export``-based default would add ``onnxscript``
(and took 7 s instead of 0.3 s on the tiny test model). Fused attention
(``F.scaled_dot_product_attention``) exports from opset 14 on; for an
older opset the exported copy switches to the plain math path.
"""
import copy
import warnings
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from cavmae_mm.models.layers import set_fused_attention
from cavmae_mm.models.modality import (MODALITY_PATHS, modalities_of,
                                       modality_name)
from cavmae_mm.models.recognizers import CAVMAERecognizer

#: ONNX input name of each encoder modality.
INPUT_NAMES: Dict[str, str] = {'audio': 'fbank', 'visual': 'frames'}

#: Graph inputs of each recognizer modality, in graph order (e.g.
#: ``audio_without_visual``, the official ``missingaudioonly``: a model
#: finetuned on both modalities given only the audio, takes fbank).
ONNX_INPUTS: Dict[str, Tuple[str, ...]] = {
    modality: tuple(INPUT_NAMES[m] for m in modalities_of(modality))
    for modality in MODALITY_PATHS
}

#: Name of the graph output.
OUTPUT_NAME = 'logits'

#: Opset used unless told otherwise (native ``LayerNormalization``).
DEFAULT_OPSET = 17

#: Lowest opset with an export of ``scaled_dot_product_attention``.
FUSED_ATTENTION_MIN_OPSET = 14


class RecognizerOnnxWrapper(nn.Module):
    """The recognizer as a function of tensors: (fbank, frames) -> logits.

    Holds a copy of the recognizer set to ``modality`` and in eval mode
    (the caller's model is left as it is). ``frames`` are normalised with
    the model's data preprocessor (``normalize_images``: ImageNet mean and
    std unless the config says otherwise) inside ``forward``.

    Args:
        model (CAVMAERecognizer): The finetuned recognizer.
        modality (str, optional): One of :data:`ONNX_INPUTS`. Defaults to
            the model's ``modality``.

    Raises:
        TypeError: The model is not a :class:`CAVMAERecognizer`, or its data
            preprocessor cannot normalise images.
        ValueError: Unknown modality.
    """

    def __init__(self,
                 model: nn.Module,
                 modality: Optional[str] = None) -> None:
        super().__init__()
        if not isinstance(model, CAVMAERecognizer):
            raise TypeError('ONNX export needs a CAVMAERecognizer (a '
                            'finetuned model), got '
                            f'{type(model).__name__}')
        if not hasattr(model.data_preprocessor, 'normalize_images'):
            raise TypeError(
                'the data preprocessor '
                f'{type(model.data_preprocessor).__name__} has no '
                'normalize_images(); cannot put the frame normalisation '
                'into the graph')
        modality = modality_name(model.modality if modality is
                                 None else modality)
        self.model = copy.deepcopy(model).cpu().eval()
        self.model.modality = modality
        self.modality = modality

    @property
    def input_names(self) -> Tuple[str, ...]:
        """Graph inputs of this modality (see :data:`ONNX_INPUTS`)."""
        return ONNX_INPUTS[self.modality]

    def forward(self,
                fbank: Optional[Tensor] = None,
                frames: Optional[Tensor] = None) -> Tensor:
        """Logits of one frame per clip (or of clips of N frames, see the
        module's docstring).

        Args:
            fbank (Tensor, optional): Normalised fbank [B, (N,) T, F].
            frames (Tensor, optional): RGB frames [B, (N,) 3, H, W], 0-255.

        Returns:
            Tensor: Logits [B, num_classes].
        """
        inputs: Dict[str, Tensor] = {}
        if fbank is not None:
            inputs['audios'] = fbank.float()
        if frames is not None:
            inputs['imgs'] = self.model.data_preprocessor.normalize_images(
                frames)
        return self.model(inputs, mode='tensor')


def dummy_inputs(model: nn.Module,
                 modality: Optional[str] = None,
                 batch_size: int = 2,
                 seed: int = 0) -> Dict[str, Tensor]:
    """Random graph inputs of the shapes the model expects.

    ``fbank`` is standard normal (the scale of the normalised fbank),
    ``frames`` uniform on 0-255.

    Args:
        model (CAVMAERecognizer | RecognizerOnnxWrapper): Gives the sizes.
        modality (str, optional): Which inputs; defaults to the model's.
        batch_size (int): Batch size B.
        seed (int): Seed of the random generator.

    Returns:
        dict: Input name -> float32 tensor on the CPU.
    """
    if isinstance(model, RecognizerOnnxWrapper):
        modality = modality or model.modality
        model = model.model
    modality = modality_name(model.modality if modality is None else modality)
    encoder = model.backbone
    gen = torch.Generator().manual_seed(seed)
    # a head that classifies clips of N frames reads [B, N, ...]
    clip = (batch_size, model.cls_head.num_frames) if hasattr(
        model.cls_head, 'num_frames') else (batch_size, )
    shapes = {
        'fbank': (*clip, *encoder.geometry.fbank_shape),
        'frames': (*clip, encoder.patch_embed_v.proj.in_channels,
                   *encoder.geometry.image_shape),
    }
    inputs = {}
    for name in ONNX_INPUTS[modality]:
        if name == 'fbank':
            inputs[name] = torch.randn(shapes[name], generator=gen)
        else:
            inputs[name] = 255 * torch.rand(shapes[name], generator=gen)
    return inputs


def _export(wrapper: RecognizerOnnxWrapper, path: Path, opset: int) -> None:
    """One ``torch.onnx.export`` call (TorchScript-based exporter)."""
    names = wrapper.input_names
    dynamic_axes = {name: {0: 'batch'} for name in (*names, OUTPUT_NAME)}
    with warnings.catch_warnings():
        # The tracer freezes the encoder's shape checks (T, F, H, W are
        # fixed axes of the graph anyway); the legacy exporter is chosen on
        # purpose.
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        warnings.filterwarnings(
            'ignore',
            category=DeprecationWarning,
            message='.*legacy TorchScript-based ONNX')
        warnings.filterwarnings(
            'ignore', category=DeprecationWarning, module=r'torch\.onnx\.')
        with torch.no_grad():
            torch.onnx.export(
                wrapper, (),
                str(path),
                kwargs=dummy_inputs(wrapper),
                input_names=list(names),
                output_names=[OUTPUT_NAME],
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False)


def export_onnx(model: nn.Module,
                path: Union[str, Path],
                modality: Optional[str] = None,
                opset: int = DEFAULT_OPSET) -> Path:
    """Exports a finetuned recognizer to an ONNX file.

    The model is copied; its own modality and attention setting stay as
    they are. The fused attention kernel is exported as it is from opset
    14 on; for an older opset (or if its export fails) the copy switches
    to the math path (the same function), with a logged notice.

    Args:
        model (CAVMAERecognizer): The finetuned recognizer (e.g. from
            ``init_model``).
        path (str | Path): The .onnx file to write; missing parent folders
            are created.
        modality (str, optional): One of :data:`ONNX_INPUTS`; decides the
            graph inputs. Defaults to the model's ``modality``.
        opset (int): ONNX opset version. Defaults to :data:`DEFAULT_OPSET`.

    Returns:
        Path: The written file.

    Raises:
        TypeError: Not a recognizer (see :class:`RecognizerOnnxWrapper`).
        ValueError: Unknown modality.
        RuntimeError: The export or the ONNX checker failed; the message
            names the file.
    """
    path = Path(path)
    wrapper = RecognizerOnnxWrapper(model, modality)
    _note_fbank_on_device(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    if opset < FUSED_ATTENTION_MIN_OPSET:
        _use_math_attention(
            wrapper, f'{path}: fused attention cannot be exported at opset '
            f'{opset} (needs {FUSED_ATTENTION_MIN_OPSET})')
    _export_and_check(wrapper, path, opset)
    print_log(
        f'{path}: exported {type(model).__name__} '
        f'({wrapper.modality}; inputs {", ".join(wrapper.input_names)};'
        f' opset {opset})',
        logger='current')
    return path


def _note_fbank_on_device(model: nn.Module) -> None:
    """Logs that a model computing fbank on the device is exported as one
    that takes the fbank."""
    if getattr(model.data_preprocessor, 'fbank_on_device', None) is not None:
        print_log(
            'the model computes fbank from waveforms on the device; the '
            'ONNX graph takes the normalised fbank instead (what '
            'FbankOnDevice returns in eval mode)',
            logger='current')


def _use_math_attention(wrapper: RecognizerOnnxWrapper, reason: str) -> None:
    """Switches the exported copy to the math attention path (the same
    function as the fused kernel), with a logged notice."""
    print_log(
        f'{reason}; exporting with the math attention path instead',
        logger='current')
    set_fused_attention(wrapper, False)


def _export_with_fallback(wrapper: RecognizerOnnxWrapper, path: Path,
                          opset: int) -> None:
    """Exports; if the fused attention kernel fails to export, once more
    with the math attention path."""
    try:
        _export(wrapper, path, opset)
    except torch.onnx.errors.UnsupportedOperatorError as err:
        if 'scaled_dot_product_attention' not in str(err):
            raise
        _use_math_attention(
            wrapper,
            f'{path}: the fused attention kernel failed to export ({err})')
        _export(wrapper, path, opset)


def _export_and_check(wrapper: RecognizerOnnxWrapper, path: Path,
                      opset: int) -> None:
    """Exports, then runs the ONNX checker on the file.

    Raises:
        RuntimeError: Either failed; the message names the file.
    """
    import onnx

    try:
        _export_with_fallback(wrapper, path, opset)
        onnx.checker.check_model(str(path))
    except (RuntimeError, ValueError, onnx.checker.ValidationError) as err:
        # RuntimeError includes torch.onnx.errors.OnnxExporterError
        raise RuntimeError(f'{path}: ONNX export failed (opset {opset}, '
                           f'modality {wrapper.modality}): {err}') from err


def run_onnx(path: Union[str, Path], inputs: Dict[str, Tensor]) -> np.ndarray:
    """Runs an exported graph with onnxruntime on the CPU.

    Args:
        path (str | Path): The .onnx file.
        inputs (dict): Input name -> tensor (extra names are an error).

    Returns:
        np.ndarray: The logits.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The inputs do not match the graph's.
    """
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: no such ONNX file')
    session = ort.InferenceSession(
        str(path), providers=['CPUExecutionProvider'])
    expected = [i.name for i in session.get_inputs()]
    if sorted(expected) != sorted(inputs):
        raise ValueError(f'{path}: the graph takes inputs {expected}, got '
                         f'{sorted(inputs)}')
    feeds = {
        name: value.detach().cpu().float().numpy()
        for name, value in inputs.items()
    }
    return session.run([OUTPUT_NAME], feeds)[0]


def check_onnx(model: nn.Module,
               path: Union[str, Path],
               modality: Optional[str] = None,
               inputs: Optional[Dict[str, Tensor]] = None,
               batch_size: int = 2,
               seed: int = 0) -> float:
    """Max abs difference of onnxruntime's and PyTorch's logits.

    Both run on the CPU on the same inputs: ``inputs``, or random ones
    (:func:`dummy_inputs`) of ``batch_size``.

    Args:
        model (CAVMAERecognizer): The recognizer that was exported.
        path (str | Path): The .onnx file.
        modality (str, optional): The modality it was exported with;
            defaults to the model's.
        inputs (dict, optional): Graph inputs (``fbank`` / ``frames``).
        batch_size (int): Batch size of the random inputs.
        seed (int): Seed of the random inputs.

    Returns:
        float: ``max |logits_onnx - logits_torch|``.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The graph's inputs or output shape do not match the
            model's; the message names the file.
    """
    wrapper = RecognizerOnnxWrapper(model, modality)
    if inputs is None:
        inputs = dummy_inputs(wrapper, batch_size=batch_size, seed=seed)
    with torch.no_grad():
        expected = wrapper(**inputs).float().cpu().numpy()
    actual = run_onnx(path, inputs)
    if actual.shape != expected.shape:
        raise ValueError(f'{path}: logits of shape {actual.shape}, PyTorch '
                         f'gives {expected.shape}')
    return float(np.abs(actual - expected).max())
