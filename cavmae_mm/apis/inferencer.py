"""``CAVMAEInferencer``: MMEngine's inferencer interface for raw files,
around :class:`cavmae_mm.apis.classify.RawMediaClassifier`."""
from typing import Dict, Iterable, List, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.infer import BaseInferencer
from torch import nn

from cavmae_mm.checkpoint import get_model, resolve_model
from cavmae_mm.datasets.raw_media_dataset import collect_inputs
from cavmae_mm.registry import SCOPE
from cavmae_mm.utils.video_io import MediaError
from .classify import InputsType, RawMediaClassifier, split_results
from .inference import init_model
from .long_media import LongMediaClassifier, durations_of


class CAVMAEInferencer(BaseInferencer):
    """Classifies raw video and audio files, as MMAction2's inferencers.

    Example::

        inferencer = CAVMAEInferencer('cavmae-ft_as2m_as-full-51.2',
                                      'as-full-51.2.pth')
        out = inferencer(['clip.mp4', 'folder/'], topk=5, batch_size=8)
        out['results'][0]['predictions'][0]  # {'label', 'index', 'score'}

    Args:
        model (str | Config): Config file, model-zoo name or Config.
        weights (str, optional): Checkpoint file or URL (this package's or
            official, see :func:`cavmae_mm.apis.init_model`). Defaults to the
            model-zoo entry's weights when ``model`` is a zoo name.
        device (str, optional): Defaults to CUDA when available, else CPU.
        label_file (str, optional): Label CSV instead of the config's.
        cfg_options (dict, optional): Config overrides.
        show_progress (bool): Show a progress bar. Defaults to True.
        window (float, optional): Window of long files in seconds (see
            :class:`cavmae_mm.apis.long_media.LongMediaClassifier`; default
            the model's clip length).
        stride (float, optional): Seconds between windows (default half
            the window).

    A file longer than the window is classified window by window: its
    result has a segment per window and a file-level answer aggregated
    over them, as :func:`cavmae_mm.apis.inference_recognizer`'s.
    """

    preprocess_kwargs: set = {'num_workers'}
    forward_kwargs: set = {'topk'}
    visualize_kwargs: set = set()
    postprocess_kwargs: set = set()

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 label_file: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = True,
                 window: Optional[float] = None,
                 stride: Optional[float] = None) -> None:
        self._label_file = label_file
        self._cfg_options = cfg_options
        self._window, self._stride = window, stride
        self._durations: Dict[str, float] = {}
        if isinstance(model, str):
            path, weights = resolve_model(model, weights)
            model = str(path)
        elif weights is None:
            raise ValueError('CAVMAEInferencer needs weights: a checkpoint '
                             'file or URL, or a model-zoo name')
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope=SCOPE,
            show_progress=show_progress)

    def _load_model_from_metafile(self, model: str) -> Tuple[Config, str]:
        entry = get_model(model)
        return Config.fromfile(str(entry.config)), entry.weights

    def _init_model(self,
                    cfg: Config,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        model = init_model(cfg, weights, device, self._cfg_options)
        self.classifier = RawMediaClassifier(model, self._label_file)
        self.long = LongMediaClassifier(self.classifier, self._window,
                                        self._stride)
        return model

    def _init_pipeline(self, cfg: Config):
        return self.classifier.loader

    def _init_collate(self, cfg: Config):
        return None

    def _init_visualizer(self, cfg: Config):
        return None

    def _inputs_to_list(self, inputs: InputsType) -> List[str]:
        return collect_inputs(inputs)

    def preprocess(self,
                   inputs: List[str],
                   batch_size: int = 1,
                   num_workers: int = 0,
                   **kwargs) -> Iterable:
        """Batches of prepared clips for the files no longer than a window,
        then one item per longer file (classified window by window in
        :meth:`forward`)."""
        self._durations = durations_of(inputs)
        short = [p for p in inputs if self._durations[p] <= self.long.window]
        if short:
            yield from self.classifier.batches(short, batch_size, num_workers)
        for path in inputs:
            if path not in short:
                yield [dict(input=path, windows=True)]

    def forward(self,
                inputs: List[Dict],
                topk: int = 5,
                **kwargs) -> List[Dict]:
        """Results (or errors) of one batch from :meth:`preprocess`."""
        if inputs and inputs[0].get('windows'):
            path = inputs[0]['input']
            try:
                return [self.long.classify_file(path, topk)]
            except (MediaError, FileNotFoundError, ValueError) as err:
                return [dict(input=path, error=str(err))]
        return [
            self.long.as_segmented(item, self._durations[item['input']])
            if 'error' not in item else item
            for item in self.classifier.classify(inputs, topk)
        ]

    def visualize(self, inputs: list, preds: list, **kwargs) -> None:
        return None

    def postprocess(self,
                    preds: List[Dict],
                    visualization=None,
                    return_datasample: bool = False,
                    **kwargs) -> Dict:
        """``{'results': [...], 'errors': [...]}`` as
        :func:`cavmae_mm.apis.inference_recognizer` returns."""
        return split_results(preds)
