"""Raw media files and tiny models for the inference, search and tool
tests (imported by tests/conftest.py): the synthetic videos (real mp4
with AAC audio) with audio and frames extracted at the official 224 px, and
files with a missing, silent or broken modality."""
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
import torch

from tests.tool_loader import load_tool

ROOT = Path(__file__).resolve().parents[1]

# A tiny finetuned recognizer on the synthetic set: 3 classes, 10-frame test.
CONFIG = '''
_base_ = [{runtime!r}]
input_geometry = dict(target_length=64, num_mel_bins=32, frame_size=32)
model = dict(
    type='CAVMAERecognizer',
    backbone=dict(type='CAVMAEEncoder', embed_dim=32, depth=3,
                  modality_specific_depth=2, num_heads=4,
                  trainable_pos_embed=True),
    cls_head=dict(type='CAVMAEClsHead', num_classes=3, in_channels=32,
                  loss_cls=dict(type='CrossEntropyLoss'),
                  average_clips={average!r}),
    modality={modality!r})
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='AudioVisualDataset', data_root={root!r},
        ann_file='datalist.json', label_file='labels.csv', test_mode=True,
        multi_label={multi_label!r},
        pipeline=[
            dict(type='LoadAudio'), dict(type='AudioFrontEnd'),
            dict(type='SelectFrames', mode='all'), dict(type='LoadFrames'),
            dict(type='ResizeCenterCrop'),
            dict(type='EncodeLabels', as_index=True),
            dict(type='PackActionInputs', collect_keys=('audios', 'imgs'),
                 meta_keys=('video_id', ))]))
test_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', ),
                      metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
test_cfg = dict(type='TestLoop')
'''


def mux_audio(container, stream, samples: np.ndarray, fmt: str,
              rate: int) -> None:
    """Encodes mono ``samples`` ('fltp' float or 's16' int16) in frames of
    1024 and flushes the encoder."""
    samples = samples.astype(np.float32 if fmt == 'fltp' else np.int16)[None]
    for start in range(0, samples.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[:, start:start + 1024]),
            format=fmt,
            layout='mono')
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_video(path: Path,
                seconds: float = 1.5,
                audio=None,
                audio_codec: str = 'aac',
                rate: int = 16000) -> None:
    """A 64x48 mpeg4 video at 10 fps, with ``audio`` (float [N]) if given."""
    rng = np.random.default_rng(0)
    with av.open(str(path), 'w') as container:
        video = container.add_stream('mpeg4', rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, 'yuv420p'
        stream = None
        if audio is not None:
            stream = container.add_stream(audio_codec, rate=rate)
            stream.layout = 'mono'
        for i in range(int(seconds * 10)):
            pixels = np.full((48, 64, 3), 40 + 10 * i, np.uint8)
            pixels[:, :4 + 4 * i] = rng.integers(0, 255, 3, dtype=np.uint8)
            container.mux(
                video.encode(
                    av.VideoFrame.from_ndarray(pixels, format='rgb24')))
        container.mux(video.encode())
        if stream is not None:
            if audio_codec.startswith('pcm'):
                mux_audio(container, stream, (audio * 32767).astype(np.int16),
                          's16', rate)
            else:
                mux_audio(container, stream, audio, 'fltp', rate)


def write_audio(path: Path, wave: np.ndarray, rate: int) -> None:
    """An AAC audio-only file (m4a) through PyAV."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('aac', rate=rate)
        stream.layout = 'mono'
        mux_audio(container, stream, wave, 'fltp', rate)


@pytest.fixture(scope='session')
def media(tmp_path_factory):
    extract_audio = load_tool('tools/data/extract_audio.py')
    extract_frames = load_tool('tools/data/extract_frames.py')
    make_synthetic = load_tool('tools/data/make_synthetic.py')
    out = tmp_path_factory.mktemp('media')
    assert make_synthetic.main([
        str(out), '--num-classes', '3', '--per-class', '2', '--seconds', '1.5',
        '--size', '48'
    ]) == 0
    assert extract_audio.main([str(out / 'videos'), str(out / 'audio')]) == 0
    assert extract_frames.main([str(out / 'videos'), str(out / 'frames')]) == 0
    odd = out / 'odd'
    odd.mkdir()
    t = np.arange(int(1.5 * 44100)) / 44100
    tone = 0.3 * np.sin(2 * np.pi * 660 * t)
    write_video(odd / 'no_audio.mp4')
    write_video(
        odd / 'silent.mkv', audio=np.zeros(24000), audio_codec='pcm_s16le')
    soundfile.write(odd / 'stereo44k.wav', np.stack([tone, -tone], 1), 44100)
    shutil.copy(out / 'audio' / 'c1_000.wav', odd / 'extracted16k.wav')
    soundfile.write(odd / 'tone.flac', tone[::3][:22050].astype(np.float32),
                    14700)
    soundfile.write(
        odd / 'tone.ogg',
        tone[:22050].astype(np.float32),
        44100,
        format='OGG',
        subtype='VORBIS')
    write_audio(odd / 'tone.m4a', tone[:44100] * 0.5, 44100)
    soundfile.write(odd / 'empty.wav', np.zeros((0, 1)), 16000)
    nan = np.full(16000, 0.1, np.float32)
    nan[100:110] = np.nan
    soundfile.write(odd / 'nan.wav', nan, 16000, subtype='FLOAT')
    (odd / 'not_media.mp4').write_text('this is not a video\n')
    data = (out / 'videos' / 'c0_000.mp4').read_bytes()
    (odd / 'truncated.mp4').write_bytes(data[:len(data) // 3])
    (out / 'no_media').mkdir()
    (out / 'no_media' / 'readme.txt').write_text('nothing here')
    return out


def write_config(folder: Path,
                 root: Path,
                 modality: str = 'multimodal',
                 average: str = 'prob',
                 multi_label: bool = False) -> Path:
    path = folder / f'tiny_{modality}_{average}.py'
    runtime = str(ROOT / 'configs' / '_base_' / 'default_runtime.py')
    path.write_text(
        CONFIG.format(
            runtime=runtime,
            root=str(root),
            modality=modality,
            average=average,
            multi_label=multi_label))
    return path


@pytest.fixture(scope='session')
def tiny_classifier(media, tmp_path_factory):
    """(config path, checkpoint path) of a random tiny recognizer."""
    from cavmae_mm.apis import init_model
    from tests.helpers import randomize_
    folder = tmp_path_factory.mktemp('tiny_classifier')
    config = write_config(folder, media)
    model = init_model(str(config))
    randomize_(model, seed=3)
    checkpoint = folder / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint


# The tiny pretraining config of tests/conftest.py (its test pipeline is the
# retrieval one, frame 5) on these files.
PRETRAIN_CONFIG = """_base_ = [{tiny!r}]
test_dataloader = dict(dataset=dict(data_root={root!r}))
"""


@pytest.fixture(scope='session')
def tiny_pretrained(media, tiny_config, tmp_path_factory):
    """(config path, checkpoint path) of a random tiny pretrained model."""
    from cavmae_mm.apis import init_model
    from tests.helpers import randomize_
    folder = tmp_path_factory.mktemp('tiny_pretrained')
    config = folder / 'tiny_retrieval.py'
    config.write_text(
        PRETRAIN_CONFIG.format(tiny=str(tiny_config), root=str(media)))
    model = init_model(str(config))
    randomize_(model, seed=5)
    checkpoint = folder / 'pretrained.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint
