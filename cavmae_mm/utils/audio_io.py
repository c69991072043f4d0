"""Reads audio with soundfile (torchaudio 2.11's ``load`` needs torchcodec)."""
from pathlib import Path
from typing import Tuple, Union

import soundfile
import torch
from torch import Tensor


def load_wav(path: Union[str, Path]) -> Tuple[Tensor, int]:
    """Reads an audio file as float32 [channels, samples] and its rate.

    The scaling is ``torchaudio.load``'s (and so the reference's): integer
    PCM is divided by 2**(bits - 1), e.g. int16 by 32768, into [-1, 1).

    Args:
        path: Audio file (wav, flac, ... anything libsndfile reads).

    Returns:
        tuple: waveform [C, N] float32 and the sample rate.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file cannot be decoded as audio or has no samples;
            the message names the file and the reason.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: audio file not found')
    try:
        data, sample_rate = soundfile.read(str(path), dtype='float32',
                                           always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise ValueError(f'{path}: cannot decode audio ({err})') from err
    if data.shape[0] == 0:
        raise ValueError(f'{path}: audio file has no samples')
    return torch.from_numpy(data.T.copy()), sample_rate
