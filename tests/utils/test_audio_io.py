"""load_wav: soundfile reading with torchaudio's float scaling."""
import numpy as np
import pytest
import soundfile
import torch

from cavmae_mm.utils.audio_io import load_wav


def test_int16_scaling_matches_torchaudio_convention(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1000], dtype=np.int16)
    soundfile.write(tmp_path / 'a.wav', samples, 16000, subtype='PCM_16')
    wave, rate = load_wav(tmp_path / 'a.wav')
    assert rate == 16000 and wave.shape == (1, 6)
    assert wave.dtype == torch.float32
    assert torch.equal(wave[0], torch.from_numpy(samples / 32768.0).float())


def test_stereo_keeps_channels(tmp_path):
    data = np.stack([np.zeros(10), np.ones(10) * 0.5], 1).astype(np.float32)
    soundfile.write(tmp_path / 's.wav', data, 8000, subtype='FLOAT')
    wave, rate = load_wav(tmp_path / 's.wav')
    assert wave.shape == (2, 10) and rate == 8000


def test_bad_files_name_the_file_and_reason(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.wav'):
        load_wav(tmp_path / 'missing.wav')
    junk = tmp_path / 'junk.wav'
    junk.write_bytes(b'not audio at all')
    with pytest.raises(ValueError, match='junk.wav: cannot decode audio'):
        load_wav(junk)
    empty = tmp_path / 'empty.wav'
    soundfile.write(empty, np.zeros(0, dtype=np.int16), 16000)
    with pytest.raises(ValueError, match='no samples'):
        load_wav(empty)
