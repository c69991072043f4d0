"""Embeddings of a dataset: audio, visual and joint, mean-pooled."""
from typing import Dict, Iterable, List, Sequence

import torch
from mmengine.utils import ProgressBar
from torch import nn

#: Embeddings ``extract_features`` can compute: encoder paths.
FEATURES = ('audio', 'visual', 'joint')


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataloader: Iterable,
                     features: Sequence[str] = FEATURES,
                     show_progress: bool = True) -> Dict[str, object]:
    """Mean-pooled encoder embeddings of every clip of a data loader.

    Works with the pretraining model and the recognizer (both hold the
    CAV-MAE encoder as ``backbone``); no masking.

    Args:
        model (nn.Module): A model built by ``init_model`` (eval mode).
        dataloader: Batches as the data pipeline packs them (one frame per
            clip).
        features (Sequence[str]): Any of 'audio' (audio path, ``norm_a``),
            'visual' (visual path, ``norm_v``) and 'joint' (both modalities,
            ``norm``).
        show_progress (bool): Show a progress bar.

    Returns:
        dict: ``video_id`` (list) and one float32 tensor [N, D] per feature.
    """
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f'unknown features {sorted(unknown)}; choose from '
                         f'{FEATURES}')
    collected: Dict[str, List[torch.Tensor]] = {f: [] for f in features}
    video_ids: List[str] = []
    total = len(dataloader.dataset) if hasattr(dataloader, 'dataset') else 0
    bar = ProgressBar(total) if show_progress and total else None
    for batch in dataloader:
        data = model.data_preprocessor(batch, training=False)
        inputs = data['inputs']
        if inputs['imgs'].dim() != 4:
            raise ValueError('extract_features needs one frame per clip; '
                             'use a pipeline with SelectFrames(mode="fixed")')
        out = model.backbone(inputs['audios'], inputs['imgs'],
                             paths=tuple(features))
        for name in features:
            collected[name].append(out.paths[name].mean(dim=1).float().cpu())
        samples = data['data_samples'] or []
        video_ids.extend(s.metainfo.get('video_id') for s in samples)
        if bar is not None:
            for _ in range(len(inputs['audios'])):
                bar.update()
    result: Dict[str, object] = {k: torch.cat(v) for k, v in
                                 collected.items()}
    result['video_id'] = video_ids
    return result
