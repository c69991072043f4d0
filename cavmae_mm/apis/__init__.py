from .classify import RawMediaClassifier, inference_recognizer
from .deployment import check_onnx, export_onnx
from .features import FEATURES, embed_files, extract_features
from .inference import init_model, load_config
from .inferencer import CAVMAEInferencer
from .inpainting import inpaint
from .long_media import LongMediaClassifier, classify_long
from .search import av_search

__all__ = [
    'init_model', 'load_config', 'inference_recognizer', 'RawMediaClassifier',
    'CAVMAEInferencer', 'extract_features', 'FEATURES', 'inpaint',
    'export_onnx', 'check_onnx', 'embed_files', 'av_search',
    'LongMediaClassifier', 'classify_long'
]
