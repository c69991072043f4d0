from .av_data_preprocessor import AVDataPreprocessor
from .fbank_on_device import FbankOnDevice

__all__ = ['AVDataPreprocessor', 'FbankOnDevice']
