"""CAV-MAE Sync's input pipelines against the official data loader.

``tests/data/sync_data_reference.pt`` holds what the official
``dataloader_sync.AudiosetDataset`` returned (run in a separate environment
by ``tests/reference/make_sync_reference.py --data-out``; see its
docstring) for the seeded synthetic clips of tests/reference/sync_media.py,
in its 'retrieval' (all 16 frames), 'eval' (frame 8) and 'train' (the
frame ``random.randint(0, 15)`` draws after ``random.seed``) modes. Here
the same clips, written again into a temporary folder, go through this
package's ``AudioVisualDataset`` with the pipelines of
configs/_base_/datasets/sync_frames.py (loaded with ``load_config``, so that
the model's ``input_geometry`` sets the 416-frame segments), the frames are
normalised as ``AVDataPreprocessor`` does, and every fbank must agree
within 1e-4 and every image within 1e-5 of its largest value.

One documented difference is not exercised: for a missing frame the
official 'train' and 'eval' modes return an all-zero sample, where
``SelectFrames`` reads the nearest earlier frame (as the official
retrieval mode and its unused ``randselect_img`` do).
"""
import random
from pathlib import Path
from typing import Any, Dict, List

import pytest
import torch

from cavmae_mm.config import load_config
from cavmae_mm.datasets import AudioVisualDataset
from cavmae_mm.models.data_preprocessors import AVDataPreprocessor
from tests.reference.sync_media import (CLIPS, TOTAL_FRAME, media_digests,
                                        write_media)

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / 'tests' / 'data' / 'sync_data_reference.pt'
SYNC_BASE = REPO_ROOT / 'configs' / '_base_' / 'datasets' / 'sync_frames.py'
DATA = torch.load(FIXTURE, weights_only=True)
CASES = DATA['cases']
REGENERATE = ('PYTHONPATH=/tmp/cavmae-sync/src .venv/bin/python -m '
              'tests.reference.make_sync_reference --official-src '
              '/tmp/cavmae-sync/src --data-only --data-out '
              'tests/data/sync_data_reference.pt')

#: Largest fbank difference (absolute; the fbank is normalised).
FBANK_ATOL = 1e-4
#: Largest image difference, relative to the largest absolute value.
IMAGE_RTOL = 1e-5
#: The official mode -> the pipeline of sync_frames.py that stands for it.
PIPELINES = {
    'retrieval': 'sync_clip_pipeline',
    'eval': 'sync_val_pipeline',
    'train': 'sync_train_pipeline',
}
SPECS = {spec.video_id: spec for spec in CLIPS}


@pytest.fixture(scope='module')
def media(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """The synthetic clips, datalist and label CSV of the fixture."""
    root = tmp_path_factory.mktemp('sync_media')
    paths = write_media(root, DATA['meta']['media_seed'])
    paths['root'] = root
    return paths


@pytest.fixture(scope='module')
def sync_cfg(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A config inheriting sync_frames.py with the Sync input geometry."""
    path = tmp_path_factory.mktemp('sync_cfg') / 'sync_data.py'
    path.write_text(f'_base_ = [{str(SYNC_BASE)!r}]\n'
                    'input_geometry = _base_.sync_input_geometry\n')
    return load_config(str(path))


@pytest.fixture(scope='module')
def datasets(media: Dict[str, Path],
             sync_cfg: Any) -> Dict[str, AudioVisualDataset]:
    """Our dataset on the synthetic datalist, per official mode."""
    return {
        mode:
        AudioVisualDataset(
            ann_file=str(media['datalist']),
            label_file=str(media['label_csv']),
            pipeline=sync_cfg[name],
            test_mode=mode != 'train')
        for mode, name in PIPELINES.items()
    }


def transform_args(pipeline: List[dict], kind: str) -> dict:
    """The config of the pipeline's one transform of type ``kind``."""
    found = [step for step in pipeline if step['type'] == kind]
    assert len(found) == 1, (kind, pipeline)
    return found[0]


def assert_digest(ours: torch.Tensor, digest: Dict[str, Any],
                  atol: float) -> float:
    """Compares with a stored digest: every stride-th value within
    ``atol``, the sums within what that bound allows.

    Returns:
        float: The largest difference of the compared values.
    """
    assert tuple(ours.shape) == tuple(digest['shape'])
    flat = ours.reshape(-1).double()
    err = float(
        (flat[::digest['stride']] - digest['values'].double()).abs().max())
    assert err <= atol
    bound = flat.numel() * atol
    assert abs(float(flat.sum()) - digest['sum']) <= bound
    assert abs(float(flat.abs().sum()) - digest['abs_sum']) <= bound
    return err


def expected_frames(video_id: str, slots: List[int]) -> List[int]:
    """The frames read for ``slots``: a missing frame falls back to the
    nearest earlier one."""
    missing = SPECS[video_id].missing
    read = []
    for slot in slots:
        while slot in missing:
            slot -= 1
        read.append(slot)
    return read


def test_media_are_those_of_the_fixture(media: Dict[str, Path]) -> None:
    assert media_digests(media['root']) == DATA['meta']['media_sha256'], (
        'tests/reference/sync_media.py wrote other bytes than those the '
        'fixture was made from (another Pillow / libjpeg or libsndfile than '
        f'{DATA["meta"]["libjpeg"]} / {DATA["meta"]["libsndfile"]}?); '
        f'regenerate the fixture: {REGENERATE}')


def test_input_geometry_reaches_the_sync_transforms(sync_cfg: Any) -> None:
    modes = {'retrieval': 'all', 'eval': 'fixed', 'train': 'random'}
    for mode, name in PIPELINES.items():
        pipeline = sync_cfg[name]
        frontend = transform_args(pipeline, 'AudioFrontEnd')
        assert frontend['target_length'] == 416
        assert frontend['clip_length'] == 1024
        # no augmentation: the official loader applies none
        assert (frontend.get('freqm', 0), frontend.get('timem', 0),
                frontend.get('noise', False)) == (0, 0, False)
        assert transform_args(pipeline,
                              'AlignAudioToFrames')['target_length'] == 416
        select = transform_args(pipeline, 'SelectFrames')
        assert select['num_frames'] == TOTAL_FRAME
        assert select['mode'] == modes[mode]
        assert 'frame_use' not in select  # the middle: 16 // 2 = 8


@pytest.mark.parametrize('name', sorted(CASES))
def test_matches_official_loader(
        name: str, datasets: Dict[str, AudioVisualDataset]) -> None:
    case = CASES[name]
    if case['seed'] is not None:
        random.seed(case['seed'])  # the official loader's one draw
    sample = datasets[case['mode']][case['index']]
    meta = sample['data_samples'].metainfo
    assert meta['video_id'] == case['video_id']
    slots = case['frames'].tolist()
    assert meta['frame_inds'] == expected_frames(case['video_id'], slots)
    if case['mode'] == 'retrieval':
        assert case['failed_images'] == len(SPECS[case['video_id']].missing)

    fbank = sample['inputs']['audios']
    assert fbank.dtype == torch.float32
    assert_digest(fbank, case['digests']['fbank'], FBANK_ATOL)
    profile = case['outputs']['fbank_profile']
    assert (fbank.sum(-1) - profile).abs().max() <= \
        fbank.shape[-1] * FBANK_ATOL

    imgs = sample['inputs']['imgs']
    assert imgs.dtype == torch.uint8
    image = AVDataPreprocessor().normalize_images(imgs)
    digest = case['digests']['image']
    scale = float(digest['values'].abs().max())
    assert_digest(image, digest, IMAGE_RTOL * scale)
