"""Writes the CAV-MAE Sync fixtures of tests/data with the official code.

The parity tests of the CAV-MAE Sync re-implementation compare against
numbers computed by the official research code (``src/models/
cav_mae_sync.py`` and ``src/retrieval.py`` of the CAV-MAE Sync repository).
That code passes ``qk_scale`` to timm's ``Attention``, which timm 1.x (the
project's pin) refuses, so this script runs in a separate environment: the
project's interpreter with an old timm put in front of it. Nothing of the
official code is copied here; it is imported from its own checkout.

Set-up (once), from the repository root, with the official code checked out
in /tmp/cavmae-sync (its ``src`` holds the ``models`` package)::

    .venv/bin/pip install --target /tmp/sync-ref-site --no-deps \\
        timm==0.4.5 tqdm tabulate

timm 0.4.5 is the official requirements' pin (0.4.12 no longer takes
``qk_scale``); tqdm and tabulate are imported by ``retrieval.py`` at module
level (as are torchaudio, torchvision and PIL, which the project's venv has).

Regenerate the fixture and the key list of the released checkpoint::

    PYTHONPATH=/tmp/sync-ref-site:/tmp/cavmae-sync/src \\
        .venv/bin/python -m tests.reference.make_sync_reference \\
        --official-src /tmp/cavmae-sync/src \\
        --out tests/data/sync_reference.pt \\
        --keys-out tests/data/official_cavmae_sync_keys.txt

The fixture stores no weights and no inputs: each case keeps the official
constructor's kwargs, the names and shapes of its state dict, the seeds (see
tests/reference/official_state.py, which rebuilds the weights and inputs
from them) and the outputs of the official forward passes, all in float32
on the CPU under ``torch.no_grad()`` with the models in eval mode. Layout::

    {'meta': {versions, official commit, file hashes, ...},
     'cases': {name: {'model': 'pretrain' | 'finetune' | 'retrieval',
                      'kwargs': constructor kwargs,
                      'shapes': [(name, shape), ...],  # no 'module.'
                      'seed_state': int,
                      'inputs': dict(num_samples, target_length, seed),
                      'forward': forward kwargs,
                      'noise_seed': int or None,
                      'outputs': {name: tensor},
                      'digests': {name: digest},  # large outputs
                      'error': 'Type: message',  # only where it raised
                      'error_at': 'file:line: code'}}}

An output with more than ``DIGEST_LIMIT`` elements is kept in ``digests``
instead of ``outputs`` as ``dict(shape, stride, values, sum, abs_sum)``:
``values`` is ``t.reshape(-1)[::stride]`` (a prime stride, about
``DIGEST_VALUES`` of them) and the sums are float64 over all elements.

Pretraining cases reseed with ``torch.manual_seed(noise_seed)`` and
``random.seed(noise_seed)`` right before the official forward, which draws
``torch.rand(N, La)`` (audio) and then ``torch.rand(N, Lv)`` (visual) for
masking; the same draws are stored as ``noise_a`` and ``noise_v`` and the
script asserts that they reproduce the official masks. ``noise_a`` is the
raw draw: structured masking ('time', 'freq', 'tf') then sets whole columns
or rows to 1.1 with Python's ``random.sample`` (see
:func:`structured_noise`). In 'tf' more positions get 1.1 than are removed,
so which tied ones are kept is up to ``torch.argsort``'s (unstable) order.

The retrieval cases ('model': 'retrieval') store, instead of kwargs and
shapes, the seeds of the embeddings in 'inputs' (see
:func:`retrieval_inputs`), the official similarity matrices in 'outputs'
and the official ``compute_metrics`` results in 'metrics'.

Data parity (a second, separate fixture). ``--data-out`` also writes what
the official Sync data loader (``src/dataloader_sync.py``,
``AudiosetDataset``) makes of the seeded synthetic clips of
tests/reference/sync_media.py (written into a temporary folder: 9.7 s,
10.9 s and 10.0 s of audio, 16 JPEG frames each, the last clip without
frames 5 and 6), with the audio_conf of the official retrieval script;
``--data-only`` skips the model cases (and needs no old timm)::

    PYTHONPATH=/tmp/cavmae-sync/src \\
        .venv/bin/python -m tests.reference.make_sync_reference \\
        --official-src /tmp/cavmae-sync/src --data-only \\
        --data-out tests/data/sync_data_reference.pt

The official loader reads wavs with ``torchaudio.load``, which torchaudio
2.9+ hands to torchcodec. Where that fails, this script (not the official
file) replaces the ``torchaudio`` name of the official module by a proxy
whose ``load`` reads with soundfile at torchaudio's scaling (float32
``[channels, N]``, int16 / 32768) and which forwards everything else
(``compliance.kaldi.fbank``) to torchaudio; where ``torchaudio.load``
works, the script asserts that both readers agree. ``meta['wav_reader']``
says which one ran. The official loader returns zeros instead of raising
on any error, so the script asserts that no fbank or image it returns is
all zero and that only the missing frames failed to load. Layout::

    {'meta': {versions, official commit, dataloader_sync.py's sha256,
              media_seed, media_sha256: {relative path: sha256},
              audio_conf, wav_reader, ...},
     'cases': {name: {'mode': 'retrieval' | 'train' | 'eval',
                      'video_id': str, 'index': datalist position,
                      'seed': random.seed before __getitem__ ('train'),
                      'frames': LongTensor, the frame indices returned,
                      'failed_images': frames the loader could not read,
                      'outputs': {'fbank_profile': fbank.sum(-1)},
                      'digests': {'fbank': digest, 'image': digest}}}}

'retrieval' returns all 16 frames (fbank [16, 416, 128], image [16, 3,
224, 224]); 'train' the frame ``random.randint(0, 15)`` draws after
``random.seed(seed)``; 'eval' frame 8. Images are the official ones, after
``T.Normalize`` with the ImageNet statistics.
"""
import argparse
import contextlib
import hashlib
import importlib
import inspect
import io
import math
import random
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from unittest import mock

import numpy as np
import PIL
import PIL.features
import soundfile
import torch
import torchaudio
import torchvision

from tests.reference.official_state import random_official_state, seeded_inputs
from tests.reference.sync_media import (CLIPS, ClipSpec, media_digests,
                                        write_media)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / 'tests' / 'data' / 'sync_reference.pt'

#: Outputs with more elements than this are stored as digests.
DIGEST_LIMIT = 4096
#: About how many values a digest keeps.
DIGEST_VALUES = 512

#: Encoder sizes shared by every tiny case (one shared block: 12 - 11).
TINY_ENCODER = dict(
    img_size=224, embed_dim=32, num_heads=2, modality_specific_depth=11)
TINY_DECODER = dict(decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2)
#: Audio frames of the tiny cases: an 8 x 4 grid of audio patches.
TINY_AUDIO_LENGTH = 64
#: Audio frames that the official structured masking assumes (64 columns).
STRUCTURED_AUDIO_LENGTH = 1024
TOTAL_FRAME = 4
PRETRAIN_SAMPLES = 3
FINETUNE_CLIPS = 2
LABEL_DIM = 5
MASK_RATIO = 0.75

#: Names of the official pretraining forward's returns, in order.
PRETRAIN_COMMON = ('loss', 'loss_mae', 'loss_mae_a', 'loss_mae_v', 'loss_c',
                   'mask_a', 'mask_v', 'c_acc', 'recon_a', 'recon_v')
PRETRAIN_PLAIN = PRETRAIN_COMMON + ('cls_a', 'cls_v')
PRETRAIN_GLOBAL_LOCAL = PRETRAIN_COMMON + (
    'local_a', 'local_v', 'cls_a', 'cls_v', 'global_loss_c', 'local_loss_c')
PRETRAIN_FEAT = ('feat_ca', 'feat_cv', 'feat_cls_a', 'feat_cls_v')

#: The released model, as the official retrieval.py builds it.
RELEASED_KWARGS = dict(
    audio_length=416,
    modality_specific_depth=11,
    num_register_tokens=8,
    cls_token=True,
    total_frame=16,
    contrastive_heads=False)

RETRIEVAL_STRATEGIES = ('diagonal_mean', 'diagonal_max', 'mean', 'max')

Case = Dict[str, Any]

_SHARED: Dict[Tuple[str, tuple], Tuple[str, tuple]] = {}


# ------------------------------------------------------------------ helpers
@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallows what the official code prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def reseed(seed: int) -> None:
    """Seeds torch's global CPU generator and Python's ``random``."""
    torch.manual_seed(seed)
    random.seed(seed)


def shared(pair: Tuple[str, tuple]) -> Tuple[str, tuple]:
    """One object per distinct ``(name, shape)``, so that pickle's memo
    stores each once however many cases list it."""
    return _SHARED.setdefault(pair, pair)


def source_dir(model: torch.nn.Module) -> Path:
    """The directory of the file that defines the model's class."""
    return Path(inspect.getfile(type(model))).resolve().parent


def error_fields(exc: BaseException,
                 src: Optional[Path] = None) -> Dict[str, str]:
    """The ``error`` and ``error_at`` entries of a case that raised.

    ``error_at`` is the innermost frame in a file under ``src`` (the
    official code), else the innermost frame.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [
        f for f in frames
        if src is not None and src in Path(f.filename).resolve().parents
    ]
    frame = (inside or frames)[-1]
    return {
        'error':
        f'{type(exc).__name__}: {exc}',
        'error_at':
        f'{Path(frame.filename).name}:{frame.lineno}: '
        f'{frame.line}',
    }


def is_prime(n: int) -> bool:
    """Whether ``n`` is a prime number."""
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


def digest_stride(numel: int) -> int:
    """A prime stride, not dividing ``numel``, keeping ~DIGEST_VALUES."""
    stride = max(11, math.ceil(numel / DIGEST_VALUES))
    while not is_prime(stride) or numel % stride == 0:
        stride += 1
    return stride


def digest(tensor: torch.Tensor) -> Dict[str, Any]:
    """Strided values and float64 sums of a large tensor."""
    flat = tensor.reshape(-1)
    stride = digest_stride(flat.numel())
    return dict(
        shape=tuple(tensor.shape),
        stride=stride,
        values=flat[::stride].clone(),
        sum=float(flat.double().sum()),
        abs_sum=float(flat.double().abs().sum()))


def store(case: Case, name: str, tensor: torch.Tensor) -> None:
    """Puts ``tensor`` in ``case['outputs']`` or, if large, its digest."""
    tensor = tensor.detach().cpu().contiguous()
    if tensor.numel() > DIGEST_LIMIT:
        case['digests'][name] = digest(tensor)
    else:
        case['outputs'][name] = tensor.clone()


def store_all(case: Case, names: Tuple[str, ...], tensors: tuple) -> None:
    """Stores ``tensors`` under ``names`` (same length asserted)."""
    assert len(names) == len(tensors), (names, len(tensors))
    for name, tensor in zip(names, tensors):
        store(case, name, tensor)


# ------------------------------------------------------------ the official
def check_timm() -> str:
    """Returns timm's version, or exits if its Attention lacks qk_scale."""
    import timm
    from timm.models.vision_transformer import Attention
    if 'qk_scale' not in inspect.signature(Attention.__init__).parameters:
        sys.exit(f'timm {timm.__version__} (from {timm.__file__}) has no '
                 'qk_scale; put timm==0.4.5 first on PYTHONPATH (see the '
                 'docstring of this script)')
    return timm.__version__


def import_official(src: Path, name: str) -> ModuleType:
    """Imports ``name`` from the official ``src`` directory."""
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    with quiet():
        module = importlib.import_module(name)
    where = Path(module.__file__).resolve()
    assert src.resolve() in where.parents, f'{name} came from {where}'
    return module


def sha256(path: Path) -> Optional[str]:
    """The file's sha256, or None if it is missing."""
    return hashlib.sha256(path.read_bytes()).hexdigest() \
        if path.is_file() else None


def official_commit(src: Path) -> Optional[str]:
    """The git commit of the official checkout, if it is a git one."""
    try:
        out = subprocess.run(
            ['git', '-C', str(src), 'rev-parse', 'HEAD'],
            capture_output=True,
            text=True,
            check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def meta(src: Path, timm_version: str) -> Dict[str, Any]:
    """Versions and provenance recorded with the fixture."""
    return dict(
        generator='tests/reference/make_sync_reference.py',
        torch=str(torch.__version__),
        timm=timm_version,
        numpy=np.__version__,
        python=sys.version.split()[0],
        official_commit=official_commit(src),
        official_sha256={
            rel: sha256(src / rel)
            for rel in ('models/cav_mae_sync.py', 'retrieval.py')
        },
        digest_limit=DIGEST_LIMIT,
        dtype='float32',
        device='cpu')


def build(models: ModuleType, kind: str, kwargs: Dict[str, Any],
          seed: int) -> Tuple[torch.nn.Module, list]:
    """Builds an official model and loads the seeded random state.

    Args:
        models: The official ``models`` package.
        kind: ``'pretrain'`` (CAVMAESync) or ``'finetune'`` (CAVMAEFTSync).
        kwargs: Constructor kwargs.
        seed: Seed of :func:`random_official_state`.

    Returns:
        The model in eval mode and its ``(name, shape)`` list.
    """
    cls = models.CAVMAESync if kind == 'pretrain' else models.CAVMAEFTSync
    with quiet():
        model = cls(**kwargs)
    shapes = [
        shared((name, tuple(t.shape)))
        for name, t in model.state_dict().items()
    ]
    model.load_state_dict(random_official_state(shapes, seed), strict=True)
    return model.eval(), shapes


# ------------------------------------------------------------------- masks
def mask_from_noise(noise: torch.Tensor, ratio: float) -> torch.Tensor:
    """1 where a patch is removed: its noise rank is past the kept ones."""
    keep = int(noise.shape[1] * (1 - ratio))
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return (ranks >= keep).float()


def structured_noise(noise: torch.Tensor,
                     mode: str,
                     ratio: float,
                     seed: int,
                     t: int = 64,
                     f: int = 8) -> torch.Tensor:
    """The audio noise after the official whole-column/row removal.

    Replays Python's ``random.sample`` draws from ``random.seed(seed)``:
    per sample ``int(t * ratio)`` time columns ('time'), ``int(f * ratio)``
    frequency rows ('freq'), or for 'tf' first the columns of every sample
    (``int(t * ratio * 0.7)``), then the rows (``int(f * ratio * 0.7)``).
    Removed positions get 1.1, above any ``torch.rand`` draw.
    """
    rng = random.Random(seed)
    grid = noise.clone().reshape(noise.shape[0], f, t)
    steps = {
        'time': [('t', t * ratio)],
        'freq': [('f', f * ratio)],
        'tf': [('t', t * ratio * 0.7), ('f', f * ratio * 0.7)],
    }[mode]
    for axis, count in steps:
        for i in range(grid.shape[0]):
            for k in rng.sample(range(t if axis == 't' else f), int(count)):
                if axis == 't':
                    grid[i, :, k] = 1.1
                else:
                    grid[i, k, :] = 1.1
    return grid.reshape(noise.shape)


def check_masks(case: Case) -> None:
    """Asserts that the stored noises give the official masks."""
    out, fwd = case['outputs'], case['forward']
    noise_a = out['noise_a']
    if fwd['mask_mode'] != 'unstructured':
        noise_a = structured_noise(noise_a, fwd['mask_mode'],
                                   fwd['mask_ratio_a'], case['noise_seed'])
    assert torch.equal(
        mask_from_noise(noise_a, fwd['mask_ratio_a']), out['mask_a'])
    assert torch.equal(
        mask_from_noise(out['noise_v'], fwd['mask_ratio_v']), out['mask_v'])


# ------------------------------------------------------------------- cases
def pretrain_case(name: str,
                  mask_mode: str = 'unstructured',
                  audio_length: int = TINY_AUDIO_LENGTH,
                  **options: Any) -> Case:
    """A pretraining case: CAVMAESync with tiny sizes and ``options``."""
    kwargs = dict(
        TINY_ENCODER,
        **TINY_DECODER,
        audio_length=audio_length,
        total_frame=TOTAL_FRAME)
    kwargs.update(options)
    return dict(
        name=name,
        model='pretrain',
        kwargs=kwargs,
        inputs=dict(num_samples=PRETRAIN_SAMPLES, target_length=audio_length),
        forward=dict(
            mask_ratio_a=MASK_RATIO,
            mask_ratio_v=MASK_RATIO,
            mae_loss_weight=1.0,
            contrast_loss_weight=0.01,
            mask_mode=mask_mode,
            mode='train'))


def finetune_case(name: str,
                  mode: str,
                  ctor_mode: str = 'multimodal',
                  num_samples: int = FINETUNE_CLIPS * TOTAL_FRAME,
                  feat: bool = False,
                  **options: Any) -> Case:
    """A finetuning case: CAVMAEFTSync with tiny sizes and ``options``."""
    kwargs = dict(
        TINY_ENCODER,
        label_dim=LABEL_DIM,
        audio_length=TINY_AUDIO_LENGTH,
        tr_pos=True,
        total_frame=TOTAL_FRAME,
        mode=ctor_mode)
    kwargs.update(options)
    return dict(
        name=name,
        model='finetune',
        kwargs=kwargs,
        inputs=dict(num_samples=num_samples, target_length=TINY_AUDIO_LENGTH),
        forward=dict(mode=mode),
        feat=feat)


def pretrain_cases() -> List[Case]:
    """Every pretraining case, in fixture order."""
    release = dict(
        num_register_tokens=2,
        cls_token=True,
        contrastive_heads=False,
        global_local_losses=False)
    structured = [
        pretrain_case(
            f'pretrain_{mode}',
            mask_mode=mode,
            audio_length=STRUCTURED_AUDIO_LENGTH,
            **release) for mode in ('time', 'freq', 'tf')
    ]
    return [
        pretrain_case('pretrain_release', **release),
        pretrain_case(
            'pretrain_global_local_heads',
            num_register_tokens=2,
            cls_token=True,
            global_local_losses=True,
            contrastive_heads=True),
        pretrain_case(
            'pretrain_mean_pool',
            num_register_tokens=0,
            cls_token=False,
            contrastive_heads=True),
        pretrain_case(
            'pretrain_mean_pool_no_heads',
            num_register_tokens=2,
            cls_token=False,
            contrastive_heads=False),
        pretrain_case(
            'pretrain_keep_registers', keep_register_tokens=True, **release),
        *structured,
        pretrain_case(
            'pretrain_time_416', mask_mode='time', audio_length=416,
            **release),
    ]


def pretrain_eval_cases() -> List[Case]:
    """Pretraining cases in the official ``mode='eval'`` (batches of whole
    videos: ``FINETUNE_CLIPS`` videos of ``TOTAL_FRAME`` consecutive
    frame-segment pairs, every pair of a video a positive), after the
    finetuning cases in fixture order."""
    release = dict(
        num_register_tokens=2,
        cls_token=True,
        contrastive_heads=False,
        global_local_losses=False)
    cases = [
        pretrain_case('pretrain_eval_release', **release),
        pretrain_case(
            'pretrain_eval_global_local_heads',
            num_register_tokens=2,
            cls_token=True,
            global_local_losses=True,
            contrastive_heads=True),
        pretrain_case(
            'pretrain_eval_mean_pool',
            num_register_tokens=0,
            cls_token=False,
            contrastive_heads=True),
    ]
    for case in cases:
        case['inputs']['num_samples'] = FINETUNE_CLIPS * TOTAL_FRAME
        case['forward']['mode'] = 'eval'
    return cases


def finetune_cases() -> List[Case]:
    """Every finetuning case, in fixture order."""
    sa = dict(
        aggregate='self_attention_cls', cls_token=True, num_register_tokens=2)
    none = dict(aggregate='None', cls_token=True, num_register_tokens=2)
    none_nocls = dict(aggregate='None', cls_token=False, num_register_tokens=0)
    modes = ('audioonly', 'videoonly', 'missingaudioonly', 'missingvideoonly',
             'multimodal')
    return [
        finetune_case('ft_sa_multimodal', 'multimodal', **sa),
        finetune_case('ft_sa_multimodal_nocls', 'multimodal',
                      **dict(sa, cls_token=False)),
        finetune_case('ft_sa_audioonly', 'audioonly', 'audioonly', **sa),
        finetune_case('ft_sa_videoonly', 'videoonly', 'videoonly', **sa),
        *[finetune_case(f'ft_none_{mode}', mode, **none) for mode in modes],
        finetune_case('ft_none_nocls_audioonly', 'audioonly', **none_nocls),
        finetune_case('ft_none_nocls_videoonly', 'videoonly', **none_nocls),
        finetune_case(
            'ft_feat_av',
            'av',
            num_samples=PRETRAIN_SAMPLES,
            feat=True,
            **none_nocls),
    ]


# ------------------------------------------------------------------ running
def run_pretrain(case: Case, model: torch.nn.Module, audio: torch.Tensor,
                 imgs: torch.Tensor) -> None:
    """The official pretraining forward, its masking noise and features."""
    seed = case['noise_seed']
    try:
        reseed(seed)
        returned = model(audio, imgs, **case['forward'])
    except Exception as exc:  # the official code's own failures
        case.update(error_fields(exc, source_dir(model)))
    else:
        names = PRETRAIN_GLOBAL_LOCAL if len(returned) == len(
            PRETRAIN_GLOBAL_LOCAL) else PRETRAIN_PLAIN
        store_all(case, names, returned)
    reseed(seed)
    num = audio.shape[0]
    store(case, 'noise_a', torch.rand(num, model.patch_embed_a.num_patches))
    store(case, 'noise_v', torch.rand(num, model.patch_embed_v.num_patches))
    if 'error' not in case:
        check_masks(case)
    feats = model.forward_feat(audio, imgs)
    store_all(case, PRETRAIN_FEAT[:len(feats)], feats)


def run_finetune(case: Case, model: torch.nn.Module, audio: torch.Tensor,
                 imgs: torch.Tensor) -> None:
    """The official finetuning forward (or forward_feat) of one case."""
    mode = case['forward']['mode']
    try:
        if case.pop('feat'):
            store_all(case, ('feat_a', 'feat_v'),
                      model.forward_feat(audio, imgs, mode=mode))
        else:
            store(case, 'logits', model(audio, imgs, mode))
    except Exception as exc:  # the official code's own failures
        case.update(error_fields(exc, source_dir(model)))


def run_model_case(models: ModuleType, case: Case, index: int) -> Case:
    """Builds, seeds and runs one pretraining or finetuning case."""
    name = case.pop('name')
    case.update(
        seed_state=100 + index,
        noise_seed=300 + index if case['model'] == 'pretrain' else None,
        outputs={},
        digests={})
    case['inputs']['seed'] = 200 + index
    model, case['shapes'] = build(models, case['model'], case['kwargs'],
                                  case['seed_state'])
    audio, imgs = seeded_inputs(**case['inputs'])
    runner = run_pretrain if case['model'] == 'pretrain' else run_finetune
    with torch.no_grad(), quiet():
        runner(case, model, audio, imgs)
    print(f'{name}: ' + case.get('error', 'ok'))
    return case


# ---------------------------------------------------------------- retrieval
def retrieval_inputs(
        seed: int, num_clips: int, num_frames: int, dim: int,
        matched_noise: Optional[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded audio and visual embeddings ``[clips, frames, dim]``.

    Audio is drawn first. With ``matched_noise`` the visual embeddings are
    the audio ones plus that much of the second draw (so that true pairs
    rank high), else an independent draw.
    """
    gen = torch.Generator().manual_seed(seed)
    shape = (num_clips, num_frames, dim)
    audio = torch.randn(shape, generator=gen)
    visual = torch.randn(shape, generator=gen)
    if matched_noise is not None:
        visual = audio + matched_noise * visual
    return audio, visual


def has_ties(sim: np.ndarray) -> bool:
    """Whether any row of a similarity matrix repeats a value."""
    return any(len(np.unique(row)) < len(row) for row in sim)


def retrieval_case(retrieval: ModuleType, inputs: Dict[str, Any]) -> Case:
    """The official sim matrices and metrics for every strategy/direction.

    'audio' is ``get_agg_sim_mat(a, v)`` and 'video' is
    ``get_agg_sim_mat(v, a)``, on the raw (not normalised) float32
    embeddings; the sims are float64, stored as ``sim_<dir>_<strategy>``.
    """
    audio, visual = retrieval_inputs(**inputs)
    case = dict(
        model='retrieval',
        inputs=dict(inputs),
        outputs={},
        digests={},
        metrics={})
    pairs = {'audio': (audio, visual), 'video': (visual, audio)}
    for direction, (query, target) in pairs.items():
        for strategy in RETRIEVAL_STRATEGIES:
            key = f'{direction}_{strategy}'
            with quiet():
                sim = retrieval.get_agg_sim_mat(query, target, strategy)
                metrics = retrieval.compute_metrics(sim)
            assert not has_ties(sim), key
            case['outputs'][f'sim_{key}'] = torch.from_numpy(sim)
            case['metrics'][key] = {k: float(v) for k, v in metrics.items()}
    return case


def retrieval_cases(src: Path) -> Dict[str, Case]:
    """Both retrieval cases, or one error case if retrieval.py won't load."""
    try:
        retrieval = import_official(src, 'retrieval')
    except Exception as exc:  # e.g. a missing torchaudio
        return {'retrieval': dict(model='retrieval', **error_fields(exc))}
    specs = {
        'retrieval':
        dict(seed=11, num_clips=6, num_frames=4, dim=32, matched_noise=None),
        'retrieval_matched':
        dict(seed=12, num_clips=16, num_frames=4, dim=32, matched_noise=5.0),
    }
    cases = {}
    for name, inputs in specs.items():
        cases[name] = retrieval_case(retrieval, inputs)
        print(f'{name}: ok')
    return cases


# --------------------------------------------------------------------- data
#: The official retrieval script's audio_conf (less 'mode').
SYNC_AUDIO_CONF = dict(
    num_mel_bins=128,
    target_length=416,
    freqm=0,
    timem=0,
    mixup=0,
    dataset='audioset',
    mean=-5.081,
    std=4.4849,
    noise=False,
    im_res=224,
    total_frame=16)
#: Seed of tests/reference/sync_media.py's clips.
MEDIA_SEED = 0
#: ``random.seed`` of the 'train' cases: frames 12, 4, 1 and 14 (inside
#: the clip, and segments moved inside at either end).
TRAIN_SEEDS = (0, 1, 2, 9)


def soundfile_load(path: str) -> Tuple[torch.Tensor, int]:
    """``torchaudio.load``'s result, read with soundfile: float32
    ``[channels, N]`` (16-bit PCM divided by 32768) and the rate."""
    data, rate = soundfile.read(str(path), dtype='float32', always_2d=True)
    return torch.from_numpy(np.ascontiguousarray(data.T)), rate


class TorchaudioWithReader(ModuleType):
    """Stands for ``torchaudio`` in the official module: ``load`` is the
    given reader, every other name is torchaudio's."""

    def __init__(self, reader: Callable[[str], Tuple[torch.Tensor,
                                                     int]]) -> None:
        super().__init__('torchaudio')
        self.load = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(torchaudio, name)


def choose_wav_reader(wav: Path) -> str:
    """'torchaudio.load' where it works (and agrees with soundfile on
    ``wav``), else 'soundfile' (torchaudio.load needs torchcodec)."""
    try:
        waveform, rate = torchaudio.load(str(wav))
    except (ImportError, RuntimeError, OSError):
        return 'soundfile'
    ours, our_rate = soundfile_load(str(wav))
    assert rate == our_rate and torch.equal(waveform, ours), wav
    return 'torchaudio.load'


def official_dataset(dataloader: ModuleType, media: Dict[str, Path],
                     mode: str) -> Any:
    """The official ``AudiosetDataset`` on the synthetic datalist."""
    conf = dict(SYNC_AUDIO_CONF, mode=mode)
    with quiet():
        return dataloader.AudiosetDataset(
            str(media['datalist']), conf, label_csv=str(media['label_csv']))


def assert_not_zero(tensors: torch.Tensor, what: str) -> None:
    """Fails where the official loader fell back to zeros: every
    ``tensors[k]`` must hold a non-zero value."""
    for k, tensor in enumerate(tensors):
        assert bool(tensor.ne(0).any()), f'{what}[{k}] is all zero'


def data_case(dataset: Any, index: int, spec: ClipSpec,
              seed: Optional[int]) -> Case:
    """One official sample, stored as a data case.

    Args:
        dataset: The official dataset (its mode decides the case).
        index: Datalist position of ``spec``.
        spec: The clip.
        seed: ``random.seed`` right before ``__getitem__`` ('train').
    """
    if seed is not None:
        random.seed(seed)
    dataset.reset_error_counts()
    with quiet():
        fbank, image, _, video_id, frames = dataset[index]
    _, failed = dataset.get_error_counts()
    video_id = str(video_id)  # a numpy str_ (their datalist is an array)
    assert video_id == spec.video_id, (video_id, spec.video_id)
    several = dataset.mode == 'retrieval'
    frames = torch.as_tensor(frames, dtype=torch.long).reshape(-1)
    assert_not_zero(fbank if several else fbank[None], f'{video_id} fbank')
    assert_not_zero(image if several else image[None], f'{video_id} image')
    expected_failures = len(spec.missing) if several else 0
    assert failed == expected_failures, (video_id, failed)
    case = dict(
        mode=dataset.mode,
        video_id=video_id,
        index=index,
        seed=seed,
        frames=frames,
        failed_images=int(failed),
        outputs=dict(fbank_profile=fbank.sum(-1).contiguous()),
        digests={})
    store(case, 'fbank', fbank)
    store(case, 'image', image)
    assert not case['outputs'].keys() & {'fbank', 'image'}
    return case


def data_cases(dataloader: ModuleType, media: Dict[str, Path]) -> \
        Dict[str, Case]:
    """Every clip in 'retrieval' and 'eval' mode, and the clips with all
    their frames in 'train' mode under each of ``TRAIN_SEEDS`` (the
    official 'train' mode returns zeros for a missing frame)."""
    cases: Dict[str, Case] = {}
    for mode in ('retrieval', 'eval', 'train'):
        dataset = official_dataset(dataloader, media, mode)
        for index, spec in enumerate(CLIPS):
            if mode != 'train':
                cases[f'{mode}_{spec.video_id}'] = data_case(
                    dataset, index, spec, None)
                continue
            if spec.missing:
                continue
            for seed in TRAIN_SEEDS:
                cases[f'train_{spec.video_id}_seed{seed}'] = data_case(
                    dataset, index, spec, seed)
    for name, case in cases.items():
        print(f'{name}: frames {case["frames"].tolist()}')
    return cases


def data_meta(src: Path, media_root: Path, wav_reader: str) -> Dict[str, Any]:
    """Versions and provenance recorded with the data fixture."""
    return dict(
        generator='tests/reference/make_sync_reference.py --data-out',
        torch=str(torch.__version__),
        torchaudio=str(torchaudio.__version__),
        torchvision=str(torchvision.__version__),
        pillow=PIL.__version__,
        libjpeg=PIL.features.version('jpg'),
        soundfile=soundfile.__version__,
        libsndfile=soundfile.__libsndfile_version__,
        numpy=np.__version__,
        python=sys.version.split()[0],
        official_commit=official_commit(src),
        official_sha256={
            'dataloader_sync.py': sha256(src / 'dataloader_sync.py')
        },
        media_seed=MEDIA_SEED,
        media_sha256=media_digests(media_root),
        audio_conf=dict(SYNC_AUDIO_CONF),
        wav_reader=wav_reader,
        digest_limit=DIGEST_LIMIT)


def generate_data(src: Path) -> Dict[str, Any]:
    """Writes the synthetic clips into a temporary folder, runs the
    official loader on them and returns the data fixture's dict."""
    dataloader = import_official(src, 'dataloader_sync')
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        media = write_media(root, MEDIA_SEED)
        reader = choose_wav_reader(root / 'audio' / f'{CLIPS[0].video_id}.wav')
        proxy = TorchaudioWithReader(torchaudio.load if reader ==
                                     'torchaudio.load' else soundfile_load)
        with mock.patch.object(dataloader, 'torchaudio', proxy):
            cases = data_cases(dataloader, media)
        return {'meta': data_meta(src, root, reader), 'cases': cases}


# --------------------------------------------------------------------- keys
def released_keys(models: ModuleType) -> List[str]:
    """``module.<name>\\t(<shape>)`` lines of the released checkpoint."""
    with quiet():
        model = models.CAVMAESync(**RELEASED_KWARGS)
    return [
        f'module.{name}\t{tuple(t.shape)}'
        for name, t in model.state_dict().items()
    ]


# --------------------------------------------------------------------- main
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--official-src',
        type=Path,
        required=True,
        help='the src directory of the official CAV-MAE Sync checkout')
    parser.add_argument(
        '--out',
        type=Path,
        default=DEFAULT_OUT,
        help='where to write the fixture (default: %(default)s)')
    parser.add_argument(
        '--keys-out',
        type=Path,
        default=None,
        help='also write the key list of the released checkpoint here')
    parser.add_argument(
        '--data-out',
        type=Path,
        default=None,
        help='also write the data fixture (the official dataloader_sync '
        'on the synthetic clips) here')
    parser.add_argument(
        '--data-only',
        action='store_true',
        help='write only the data fixture (needs --data-out; no old timm)')
    args = parser.parse_args(argv)
    if args.data_only and args.data_out is None:
        parser.error('--data-only needs --data-out')
    return args


def generate(src: Path) -> Dict[str, Any]:
    """Runs every case and returns the fixture's dict."""
    timm_version = check_timm()
    models = import_official(src, 'models')
    cases: Dict[str, Case] = {}
    for index, case in enumerate(pretrain_cases() + finetune_cases() +
                                 pretrain_eval_cases()):
        name = case['name']
        cases[name] = run_model_case(models, case, index)
    cases.update(retrieval_cases(src))
    return {'meta': meta(src, timm_version), 'cases': cases}


def main(argv: Optional[List[str]] = None) -> int:
    """Writes the fixture(s) (and, if asked, the released key list)."""
    args = parse_args(argv)
    torch.set_num_threads(1)
    if args.data_out is not None:
        data = generate_data(args.official_src)
        args.data_out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(data, args.data_out)
        print(f'wrote {args.data_out} ({args.data_out.stat().st_size} '
              'bytes)')
    if args.data_only:
        return 0
    fixture = generate(args.official_src)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(fixture, args.out)
    print(f'wrote {args.out} ({args.out.stat().st_size} bytes)')
    if args.keys_out is not None:
        keys = released_keys(import_official(args.official_src, 'models'))
        args.keys_out.write_text('\n'.join(keys) + '\n')
        print(f'wrote {args.keys_out} ({len(keys)} keys)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
