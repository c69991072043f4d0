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


@pytest.mark.parametrize('channels,frames,subtype', [(1, 16000, 'PCM_16'),
                                                     (2, 1235, 'PCM_16'),
                                                     (1, 999, 'PCM_24'),
                                                     (1, 500, 'FLOAT')])
def test_wav_bytes_read_as_the_file(tmp_path, channels, frames, subtype):
    """A wav in memory (a shard member) gives the file's tensor to the bit:
    16-bit PCM through the standard library's wave, the rest soundfile."""
    samples = np.random.default_rng(0).uniform(-1, 1, (frames, channels))
    path = tmp_path / 'x.wav'
    soundfile.write(path, samples, 16000, subtype=subtype)
    from_file, rate = load_wav(path)
    from_bytes, rate_bytes = load_wav('shard.tar#x.wav',
                                      memoryview(path.read_bytes()))
    assert (rate, rate_bytes) == (16000, 16000)
    assert from_file.shape == (channels, frames)
    assert torch.equal(from_file, from_bytes)
    with pytest.raises(ValueError, match='shard.tar#x.wav: cannot decode'):
        load_wav('shard.tar#x.wav', b'RIFF not a wav')
