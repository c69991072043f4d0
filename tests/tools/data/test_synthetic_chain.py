"""Synthetic videos -> extraction tools -> datalist -> dataset -> model."""
import soundfile
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image

from cavmae_mm.datasets import AudioVisualDataset
from cavmae_mm.registry import MODELS
from tests.datasets.helpers import tiny_pipeline
from tests.helpers import tiny_pretrain_cfg
from tests.tool_loader import load_tool

extract_audio = load_tool('tools/data/extract_audio.py')
extract_frames = load_tool('tools/data/extract_frames.py')


def test_extracted_outputs(synthetic):
    wave, rate = soundfile.read(synthetic / 'audio' / 'c1_000.wav')
    assert rate == 16000 and wave.ndim == 1
    assert abs(len(wave) - 24000) < 2048  # 1.5 s, give or take AAC padding
    for i in range(10):
        image = Image.open(synthetic / 'frames' / f'frame_{i}' / 'c2_001.jpg')
        assert image.size == (40, 40)


def test_rerun_skips_done_outputs(synthetic, capsys):
    assert extract_audio.main(
        [str(synthetic / 'videos'),
         str(synthetic / 'audio')]) == 0
    assert '0 extracted, 6 already done, 0 failed' in capsys.readouterr().out


def test_bad_video_is_listed_and_fails_the_run(synthetic, tmp_path, capsys):
    videos = tmp_path / 'videos'
    videos.mkdir()
    (videos / 'broken.mp4').write_bytes(b'not a video')
    (videos / 'good.mp4').write_bytes(
        (synthetic / 'videos' / 'c0_000.mp4').read_bytes())
    assert extract_frames.main(
        [str(videos), str(tmp_path / 'frames'), '--size', '32']) == 1
    failures = (tmp_path / 'frames' / 'extract_frames_failures.tsv')
    lines = failures.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(videos / 'broken.mp4'))
    assert '1 extracted, 0 already done, 1 failed' in capsys.readouterr().out
    assert (tmp_path / 'frames' / 'frame_9' / 'good.jpg').is_file()


def test_chain_feeds_the_model(synthetic):
    dataset = AudioVisualDataset(
        str(synthetic / 'datalist.json'),
        'labels.csv',
        data_root=str(synthetic),
        pipeline=tiny_pipeline())
    assert len(dataset) == 6
    batch = pseudo_collate([dataset[i] for i in range(4)])
    model = MODELS.build(tiny_pretrain_cfg())
    model.init_weights()
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(
        sum(v for k, v in losses.items() if k.startswith('loss')))
    labels = torch.stack([s.gt_label for s in data['data_samples']])
    assert labels.shape == (4, 3)
    assert torch.equal(labels.argmax(1), torch.tensor([0, 0, 1, 1]))


def test_multi_frame_testing_averages_all_ten_frames(synthetic):
    from tests.helpers import tiny_recognizer_cfg
    pipeline = [
        dict(t, mode='all') if t['type'] == 'SelectFrames' else t
        for t in tiny_pipeline(test=True)
    ]
    pipeline[-2] = dict(type='EncodeLabels')
    dataset = AudioVisualDataset(
        str(synthetic / 'datalist.json'),
        'labels.csv',
        data_root=str(synthetic),
        pipeline=pipeline,
        test_mode=True)
    cfg = tiny_recognizer_cfg(num_classes=3)
    cfg['cls_head']['average_clips'] = 'sigmoid'
    model = MODELS.build(cfg).eval()
    model.init_weights()
    batch = pseudo_collate([dataset[0], dataset[5]])
    with torch.no_grad():
        samples = model.test_step(batch)
        data = model.data_preprocessor(batch)
        frames = data['inputs']['imgs']
        assert frames.shape == (2, 10, 3, 32, 32)
        per_frame = torch.stack([
            model(
                dict(audios=data['inputs']['audios'], imgs=frames[:, i]),
                mode='tensor') for i in range(10)
        ], 1)
    expected = per_frame.sigmoid().mean(1)
    for sample, row in zip(samples, expected, strict=True):
        assert sample.pred_score.shape == (3, )
        assert torch.allclose(sample.pred_score, row, atol=1e-6)
