#!/usr/bin/env python
"""A page in the browser for CAV-MAE: classify files, search videos, choose
the model (Gradio; `make webui CONFIG=... CHECKPOINT=...`).

    python demo/webui.py --config CONFIG_OR_MODEL_NAME --checkpoint CKPT \
        [--search-config CFG --search-checkpoint CKPT] [--host 127.0.0.1] \
        [--port 7860] [--device cpu] [--allowed-dir DIR ...] \
        [--max-upload-mb 200] [--topk 5] [--concurrency 2]

Tabs:

* Classify: upload a video or audio file, or name one on the server (inside
  an --allowed-dir folder). Shows the file's top-k labels and scores, and
  for a file longer than one model window (classified window by window
  with ``cavmae_mm.apis.classify_long``) the timeline of the top classes
  and a copy of the video with the labels drawn on it; the JSON result,
  subtitles and pictures can be downloaded.
* Search: a gallery is an allowed folder of videos (embedded on the first
  search, kept in memory) or an index ``.pt`` written by
  ``tools/misc/extract_features.py ... --features audio visual --out
  index.pt``; a query clip is uploaded (audio: ranked against the videos'
  frames; an image: against their sound; a video: both ways, averaged).
  The matches play in the page, with their scores (and times, for indexed
  segments of long files).
* Model: load another model: a model-zoo name whose weights are on this
  machine (its Default Path or torch hub's cache) or a config in an
  allowed folder, with a checkpoint path (in an allowed folder). Nothing is
  downloaded by the page.

Safety: every path a request names is resolved (symlinks followed) and must
lie inside an --allowed-dir folder; ``..`` is refused. Uploads (at most
--max-upload-mb each) and everything the page writes live in one
temporary folder per server, printed at start: files older than an hour
are removed while the server runs and the folder is removed at exit.
Requests are queued (--concurrency at once); each model is used by one
request at a time (a lock), and a model switch waits for it.
"""
import argparse
import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# Only the standard library up here: the arguments are parsed (and --help
# answered) before torch, MMEngine, Gradio and cavmae_mm are imported, and
# Gradio reads its temporary folder from the environment when imported.

ROOT = Path(__file__).resolve().parents[1]
#: Files and results older than this are removed while the server runs.
MAX_AGE_S = 3600
#: A search result is played from a copy when the browser can play it and
#: it is no larger than this, else from a re-encoded preview.
MAX_COPY_BYTES = 20 * 1024 * 1024
#: Seconds of a gallery video a preview holds at most.
PREVIEW_SECONDS = 30.0
#: Codecs and containers Chromium and Firefox play.
BROWSER_CODECS = ('h264', 'vp8', 'vp9', 'av1')
BROWSER_SUFFIXES = ('.mp4', '.webm', '.m4v')
#: Search results shown as playable clips.
MAX_RESULTS = 12
#: How deep below an allowed folder galleries are looked for.
GALLERY_DEPTH = 3

ProgressFn = Callable[[int, int, str], None]


class Refused(ValueError):
    """A request the page does not serve; the message says why."""


def _media_suffixes(
) -> Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]:
    """(video, audio, image) file suffixes the package reads."""
    from cavmae_mm.datasets.raw_media_dataset import IMAGE_EXTENSIONS
    from cavmae_mm.utils.audio_io import AUDIO_EXTENSIONS
    from cavmae_mm.utils.video_io import VIDEO_EXTENSIONS
    return VIDEO_EXTENSIONS, AUDIO_EXTENSIONS, IMAGE_EXTENSIONS


# ---------------------------------------------------------------------------
# Paths: allowed folders, uploads, the temporary folder
# ---------------------------------------------------------------------------
class AllowedDirs:
    """The folders requests may read (``--allowed-dir``).

    A path a request names is taken relative to each allowed folder in
    turn (or as it is, when absolute), resolved with its symlinks followed,
    and used only when the result lies inside an allowed folder. Names with
    a ``..`` part are refused outright.

    Args:
        folders (Sequence[str]): Existing folders.

    Raises:
        NotADirectoryError: A folder that does not exist.
    """

    def __init__(self, folders: Sequence[str]) -> None:
        roots = []
        for folder in folders:
            path = Path(folder).resolve()
            if not path.is_dir():
                raise NotADirectoryError(f'{folder}: --allowed-dir is not a '
                                         'folder')
            if path not in roots:
                roots.append(path)
        self.roots: List[Path] = roots

    def __bool__(self) -> bool:
        return bool(self.roots)

    def contains(self, path: Path) -> bool:
        """Whether ``path`` (resolved, symlinks followed) lies in an allowed
        folder."""
        real = Path(os.path.realpath(path))
        return any(real == root or real.is_relative_to(root)
                   for root in self.roots)

    def display(self, path: Path) -> str:
        """``path`` relative to its allowed folder, prefixed by that folder's
        name (what the page shows; never the full server path)."""
        real = Path(os.path.realpath(path))
        for root in self.roots:
            if real == root or real.is_relative_to(root):
                rel = real.relative_to(root)
                return str(Path(root.name) / rel) if str(rel) != '.' \
                    else root.name
        return path.name

    def resolve(self, name: str, kind: str = 'file') -> Path:
        """The real path of ``name``, inside an allowed folder.

        Args:
            name (str): Relative to an allowed folder, or absolute.
            kind (str): 'file', 'dir' or 'any'.

        Returns:
            Path: The resolved path (symlinks followed).

        Raises:
            Refused: No allowed folders, a ``..`` part, or a path outside the
                allowed folders (also through a symlink).
            FileNotFoundError: No such file or folder in them.
        """
        name = (name or '').strip()
        if not name:
            raise Refused('no path given')
        if not self.roots:
            raise Refused(f'{name}: the server allows no folders (start it '
                          'with --allowed-dir DIR)')
        path = Path(name)
        if '..' in path.parts:
            raise Refused(f'{name}: ".." is not allowed in paths; name a '
                          'path inside the allowed folders')
        if path.is_absolute():
            if not self.contains(path):
                raise Refused(f'{name}: outside the allowed folders ('
                              f'{", ".join(r.name for r in self.roots)})')
            candidates = [path]
        else:
            candidates = [root / path for root in self.roots]
        for candidate in candidates:
            if not os.path.lexists(candidate):
                continue
            if not self.contains(candidate):
                raise Refused(f'{name}: it leads outside the allowed folders '
                              '(a symbolic link)')
            real = Path(os.path.realpath(candidate))
            if kind == 'file' and not real.is_file():
                raise Refused(f'{name}: not a file')
            if kind == 'dir' and not real.is_dir():
                raise Refused(f'{name}: not a folder')
            return real
        raise FileNotFoundError(f'{name}: not found in the allowed folders')

    def files_in(self, folder: Path, suffixes: Sequence[str]) -> List[Path]:
        """The files with these suffixes under ``folder`` (recursive,
        sorted), skipping any whose real path leaves the allowed folders
        and not entering symlinked folders."""
        found = []
        for top, dirs, files in os.walk(folder):
            dirs.sort()
            for name in files:
                path = Path(top) / name
                if path.suffix.lower() in suffixes and self.contains(path):
                    found.append(Path(os.path.realpath(path)))
        return sorted(found)


def check_upload(path: Optional[str], max_bytes: int,
                 suffixes: Sequence[str]) -> Path:
    """An uploaded file the page may use.

    Raises:
        Refused: No file, an empty one, one over ``max_bytes``, or a
            suffix not in ``suffixes`` (named in the message).
    """
    if not path:
        raise Refused('no file uploaded')
    upload = Path(path)
    if not upload.is_file():
        raise Refused(f'{upload.name}: the upload is gone (uploads are kept '
                      'for an hour); upload it again')
    size = upload.stat().st_size
    if size == 0:
        raise Refused(f'{upload.name}: the file is empty')
    if size > max_bytes:
        raise Refused(f'{upload.name}: {size / 2**20:.1f} MB is over the '
                      f'upload limit of {max_bytes / 2**20:.0f} MB')
    if upload.suffix.lower() not in suffixes:
        raise Refused(f'{upload.name}: not a file this page reads (use '
                      f'{", ".join(suffixes)})')
    return upload


class Workspace:
    """The server's temporary folder: Gradio's uploads and cache
    (``gradio/``) and the files the page writes (``results/``, one
    folder per request). Results older than :data:`MAX_AGE_S` are removed
    at each new request (Gradio removes its old files itself, see
    ``delete_cache``); :meth:`cleanup` removes the whole folder at exit.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix='cavmae_webui_'))
        self.gradio = self.root / 'gradio'
        self.results = self.root / 'results'
        self.gradio.mkdir()
        self.results.mkdir()

    def new_dir(self) -> Path:
        """A fresh folder for one request's outputs (after removing old
        ones)."""
        self.sweep()
        path = self.results / uuid.uuid4().hex[:12]
        path.mkdir()
        return path

    def sweep(self, max_age: float = MAX_AGE_S) -> None:
        """Removes result folders older than ``max_age`` seconds."""
        limit = time.time() - max_age
        for folder in self.results.iterdir():
            try:
                if folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                continue  # removed by a concurrent sweep

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def readable(err: BaseException, upload: Optional[Path] = None) -> str:
    """An error's message, with an upload's temporary path replaced by the
    file's name."""
    message = str(err) or type(err).__name__
    if upload is not None:
        message = message.replace(str(upload), upload.name)
    return message


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
def local_weights(entry) -> Optional[Path]:
    """The weights of a model-zoo entry on this machine: its Default Path
    (under the repository or the working folder) or its download in torch
    hub's cache; None when neither exists."""
    from cavmae_mm.checkpoint.download import cached_file, is_url
    from cavmae_mm.checkpoint.model_zoo import zoo_root
    candidates = []
    if entry.default_path:
        candidates += [
            zoo_root() / entry.default_path,
            Path.cwd() / entry.default_path
        ]
    if entry.weights and is_url(entry.weights):
        candidates.append(cached_file(entry.weights))
    elif entry.weights:
        candidates.append(Path(entry.weights))
    return next((p for p in candidates if p.is_file()), None)


def local_zoo_models() -> List[Tuple[str, Path]]:
    """(name, weights file) of every model-zoo entry whose weights are on
    this machine, in the metafile's order."""
    from cavmae_mm.checkpoint.model_zoo import list_models
    found = []
    for entry in list_models():
        weights = local_weights(entry)
        if weights is not None:
            found.append((entry.name, weights))
    return found


class ModelSlot:
    """One loaded model (the classifier or the search model) and the lock
    that gives it to one request at a time.

    Args:
        role (str): 'classify' or 'search'.
        device (str): Where models run.
    """

    def __init__(self, role: str, device: str) -> None:
        self.role = role
        self.device = device
        self.lock = threading.Lock()
        self.model = None
        self.config: Optional[str] = None
        self.checkpoint: Optional[str] = None
        self.generation = 0

    def describe(self) -> str:
        if self.model is None:
            return 'none loaded'
        return f'`{self.config}` with `{self.checkpoint}`'

    def load(self, config: str, checkpoint: Optional[str]) -> None:
        """Builds the model and, when it fits the role, puts it in place
        of the current one (which serves until then).

        Raises:
            ValueError, FileNotFoundError, TypeError: A config or checkpoint
                that cannot be used; the message names it and why.
        """
        from cavmae_mm.apis import RawMediaClassifier, init_model
        from cavmae_mm.checkpoint import resolve_model
        config_path, checkpoint = resolve_model(config, checkpoint)
        model = init_model(str(config_path), checkpoint, self.device)
        if self.role == 'classify':
            RawMediaClassifier(model)  # a classifier with fitting labels
        elif not hasattr(model, 'backbone'):
            raise TypeError(f'{config}: {type(model).__name__} has no '
                            'CAV-MAE encoder to search with')
        with self.lock:
            self.model = model
            self.config, self.checkpoint = str(config), str(checkpoint)
            self.generation += 1


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------
def long_classifier() -> Optional[Callable]:
    """``cavmae_mm.apis.long_media.classify_long`` when the package has it,
    else None (then one clip is classified)."""
    try:
        from cavmae_mm.apis.long_media import classify_long
    except ImportError:
        return None
    return classify_long


def classify_file(model,
                  path: Path,
                  topk: int,
                  window: Optional[float] = None,
                  stride: Optional[float] = None,
                  progress: Optional[ProgressFn] = None) -> Dict:
    """The long-file result of one file (see
    :mod:`cavmae_mm.visualization.timeline`), with ``scores`` and
    ``class_names`` when classified window by window.

    Without ``classify_long`` in the package, the file's first clip is
    classified (``inference_recognizer``) and given as one segment.

    Raises:
        ValueError: The file cannot be classified (its reason).
    """
    classify_long = long_classifier()
    if classify_long is not None:

        def windows_done(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, 'windows')

        return classify_long(
            model,
            str(path),
            window=window,
            stride=stride,
            topk=topk,
            progress=windows_done,
            return_scores=True)
    from cavmae_mm.apis import inference_recognizer
    found = inference_recognizer(model, [str(path)], topk=topk)
    if found['errors']:
        raise ValueError(found['errors'][0]['error'])
    result = dict(found['results'][0])
    result['segments'] = [
        dict(start=0.0, end=None, predictions=result['predictions'])
    ]
    result['notes'] = [
        'the first clip only: this cavmae_mm has no '
        'long-file classification (classify_long)'
    ]
    return result


def render_long(path: Path,
                result: Dict,
                out_dir: Path,
                labelled_video: bool,
                progress: Optional[ProgressFn] = None) -> Dict[str, Path]:
    """The timeline figure, the subtitles and (for a video, when asked)
    the labelled copy of a result with more than one segment.

    Returns:
        dict: ``timeline``, ``subtitles``, ``video`` paths (those made).
    """
    from cavmae_mm.utils.video_io import probe_streams
    from cavmae_mm.visualization.timeline import (annotate_video,
                                                  plot_timeline,
                                                  write_subtitles)
    made: Dict[str, Path] = {}
    if len(result.get('segments', [])) < 2 or 'scores' not in result:
        return made
    made['timeline'] = plot_timeline(
        result,
        result['scores'],
        result['class_names'],
        out_dir / f'{path.stem}_timeline.png',
        title=path.name)
    made['subtitles'] = write_subtitles(result, out_dir / f'{path.stem}.vtt')
    if labelled_video and probe_streams(path).video:

        def frames_done(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, 'frames drawn')

        made['video'] = annotate_video(
            path,
            result,
            out_dir / f'{path.stem}_labelled.mp4',
            progress=frames_done)
    return made


def json_ready(result: Dict, shown_name: str) -> Dict:
    """The result without its score matrix, the input named as shown."""
    return {
        k: (shown_name if k == 'input' else v)
        for k, v in result.items() if k not in ('scores', 'class_names')
    }


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------
def find_galleries(allowed: AllowedDirs) -> List[Tuple[str, str]]:
    """(label, path) of the galleries in the allowed folders: folders that
    hold videos and ``.pt`` index files, up to :data:`GALLERY_DEPTH`
    levels down."""
    videos, _, _ = _media_suffixes()
    found = []
    for root in allowed.roots:
        for top, dirs, files in os.walk(root):
            depth = len(Path(top).relative_to(root).parts)
            dirs[:] = sorted(d for d in dirs
                             if not d.startswith('.')) if depth < \
                GALLERY_DEPTH else []
            here = Path(top)
            count = sum(
                1 for f in files
                if Path(f).suffix.lower() in videos and allowed.contains(here /
                                                                         f))
            if count and allowed.contains(here):
                found.append((f'{allowed.display(here)}/ ({count} videos '
                              'here; embedded on first use)', str(here)))
            for name in sorted(files):
                path = here / name
                if name.endswith('.pt') and allowed.contains(path):
                    found.append(
                        (f'{allowed.display(path)} (index)', str(path)))
    return found


class GalleryCache:
    """Embeddings of folder galleries, by model generation and the
    folder's files (name, size, time), the most recent few kept."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.items: 'OrderedDict[tuple, Dict]' = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Optional[Dict]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, index: Dict) -> None:
        with self.lock:
            self.items[key] = index
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def locate(video_id: str, index_file: Path,
           allowed: AllowedDirs) -> Optional[Path]:
    """The file of an index entry, if it lies in an allowed folder: as
    written, then next to the index, in the working folder and in each
    allowed folder."""
    path = Path(video_id)
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [index_file.parent / path, Path.cwd() / path]
        candidates += [root / path for root in allowed.roots]
    for candidate in candidates:
        if candidate.is_file() and allowed.contains(candidate):
            return Path(os.path.realpath(candidate))
    return None


def playable_preview(src: Path,
                     out_dir: Path,
                     start: Optional[float] = None,
                     end: Optional[float] = None) -> Path:
    """A copy of a video the browser plays: the file itself when its codec
    and container are playable and it is small, else ``[start, end]`` (at
    most :data:`PREVIEW_SECONDS`) re-encoded to H.264 + AAC (PyAV).

    Raises:
        MediaError: The file has no video or cannot be decoded.
    """
    import av

    from cavmae_mm.utils.video_io import MediaError
    try:
        with av.open(str(src)) as container:
            if not container.streams.video:
                raise MediaError(f'{src}: no video stream to show')
            codec = container.streams.video[0].codec_context.name
    except av.FFmpegError as err:
        raise MediaError(f'{src}: not a readable video ({err})') from err
    out = out_dir / uuid.uuid4().hex[:8]
    out.mkdir()
    if (start is None and codec in BROWSER_CODECS
            and src.suffix.lower() in BROWSER_SUFFIXES
            and src.stat().st_size <= MAX_COPY_BYTES):
        return Path(shutil.copyfile(src, out / src.name))
    start = max(float(start or 0.0), 0.0)
    stop = start + PREVIEW_SECONDS
    if end is not None:
        stop = min(stop, float(end))
    target = out / f'{src.stem}.mp4'
    try:
        _transcode(src, target, start, stop)
    except av.FFmpegError as err:
        raise MediaError(f'{src}: cannot make a playable preview '
                         f'({err})') from err
    return target


def _transcode(src: Path, target: Path, start: float, stop: float) -> None:
    """``src`` from ``start`` to ``stop`` seconds as H.264 (yuv420p, even
    sizes) and AAC in an mp4."""
    import av
    with av.open(str(src)) as source, av.open(str(target), 'w') as sink:
        video_in = source.streams.video[0]
        audio_in = source.streams.audio[0] if source.streams.audio else None
        rate = video_in.average_rate or Fraction(25)
        video_out = sink.add_stream('libx264', rate=rate)
        video_out.width = max(video_in.codec_context.width // 2 * 2, 2)
        video_out.height = max(video_in.codec_context.height // 2 * 2, 2)
        video_out.pix_fmt = 'yuv420p'
        video_out.options = {'preset': 'ultrafast', 'crf': '23'}
        audio_out = resampler = None
        if audio_in is not None:
            sample_rate = audio_in.codec_context.sample_rate or 44100
            layout = 'stereo' if audio_in.codec_context.channels > 1 \
                else 'mono'
            audio_out = sink.add_stream('aac', rate=sample_rate)
            audio_out.layout = layout
            resampler = av.AudioResampler(
                format='fltp', layout=layout, rate=sample_rate)
        if start > 0:
            source.seek(int(start * av.time_base))
        streams = [video_in] + ([audio_in] if audio_in is not None else [])
        last_pts, samples = -1, 0
        done = {s.index: False for s in streams}
        for frame in source.decode(*streams):
            stream_index = (
                video_in.index
                if isinstance(frame, av.VideoFrame) else audio_in.index)
            if frame.time is None or frame.time < start:
                continue
            if frame.time >= stop:
                done[stream_index] = True
                if all(done.values()):
                    break
                continue
            if isinstance(frame, av.VideoFrame):
                pts = int(round((frame.time - start) * rate))
                if pts <= last_pts:
                    continue
                last_pts = pts
                picture = frame.reformat(
                    width=video_out.width,
                    height=video_out.height,
                    format='yuv420p')
                picture.pts, picture.time_base = pts, Fraction(1) / rate
                sink.mux(video_out.encode(picture))
            else:
                frame.pts = None
                for chunk in resampler.resample(frame):
                    chunk.pts = samples
                    chunk.time_base = Fraction(1, chunk.sample_rate)
                    samples += chunk.samples
                    sink.mux(audio_out.encode(chunk))
        sink.mux(video_out.encode())
        if audio_out is not None:
            sink.mux(audio_out.encode())


def _clock(seconds: Optional[float]) -> str:
    if seconds is None:
        return ''
    minutes, secs = divmod(float(seconds), 60)
    return f'{int(minutes)}:{secs:05.2f}'


# ---------------------------------------------------------------------------
# The page's actions, without Gradio (tested directly)
# ---------------------------------------------------------------------------
class WebUI:
    """What the page does: the models, the allowed folders and the
    workspace, and one method per action.

    Args:
        allowed (AllowedDirs): Folders requests may read.
        workspace (Workspace): Uploads and outputs.
        max_upload_bytes (int): Upload size limit.
        device (str): Where models run.
        topk (int): Default number of labels shown.
    """

    def __init__(self,
                 allowed: AllowedDirs,
                 workspace: Workspace,
                 max_upload_bytes: int,
                 device: str = 'cpu',
                 topk: int = 5) -> None:
        self.allowed = allowed
        self.workspace = workspace
        self.max_upload_bytes = max_upload_bytes
        self.topk = topk
        self.classifier = ModelSlot('classify', device)
        self.searcher = ModelSlot('search', device)
        self.galleries = GalleryCache()
        #: Configs the page offers besides the model zoo's: label ->
        #: (config, checkpoint), those given on the command line.
        self.startup: Dict[str, Tuple[str, Optional[str]]] = {}

    # -- classify ---------------------------------------------------------
    def classify(self,
                 upload: Optional[str],
                 server_path: Optional[str],
                 topk: int,
                 window: Optional[float] = None,
                 stride: Optional[float] = None,
                 labelled_video: bool = True,
                 progress: Optional[ProgressFn] = None) -> Dict[str, Any]:
        """Classifies an upload (first) or a server path.

        Returns:
            dict: ``labels`` ({label: score}), ``timeline``, ``video``,
            ``downloads`` (paths), ``json`` (the result) and ``status``
            (Markdown); on failure only ``status``, naming the file and the
            reason.
        """
        videos, audios, _ = _media_suffixes()
        upload_path = None
        try:
            if upload:
                path = upload_path = check_upload(upload,
                                                  self.max_upload_bytes,
                                                  videos + audios)
                shown = path.name
            elif server_path and server_path.strip():
                path = self.allowed.resolve(server_path, 'file')
                if path.suffix.lower() not in videos + audios:
                    raise Refused(f'{server_path}: not a video or audio '
                                  f'file ({", ".join(videos + audios)})')
                shown = self.allowed.display(path)
            else:
                raise Refused('upload a video or audio file, or name one '
                              'on the server')
            with self.classifier.lock:
                model = self.classifier.model
                if model is None:
                    raise Refused('no classifier loaded: load one in the '
                                  'Model tab')
                started = time.time()
                result = classify_file(model, path, int(topk), window or None,
                                       stride or None, progress)
            out_dir = self.workspace.new_dir()
            made = render_long(path, result, out_dir, labelled_video, progress)
            elapsed = time.time() - started
        except (ValueError, OSError, RuntimeError, TypeError) as err:
            name = upload_path.name if upload_path else \
                (Path(upload).name if upload else (server_path or ''))
            return dict(status=f'**Could not classify {name}:** '
                        f'{readable(err, upload_path)}')
        data = json_ready(result, shown)
        result_file = out_dir / f'{path.stem}_result.json'
        result_file.write_text(json.dumps(data, indent=1))
        segments = result.get('segments', [])
        status = (f'**Classified {shown}** ({result.get("modality")}, '
                  f'{len(segments)} window{"s" if len(segments) != 1 else ""}'
                  f', {elapsed:.1f} s)')
        if result.get('aggregation'):
            status += f'; file-level scores: {result["aggregation"]} over ' \
                      'the windows'
        for note in result.get('notes', []):
            status += f'\n\n_{note}_'
        return dict(
            labels={
                p['label']: float(p['score'])
                for p in result['predictions']
            },
            timeline=made.get('timeline'),
            video=made.get('video'),
            downloads=[str(result_file)] + [
                str(made[k])
                for k in ('timeline', 'subtitles', 'video') if k in made
            ],
            json=data,
            status=status)

    # -- search -----------------------------------------------------------
    def gallery_index(self, model, folder: Path) -> Dict:
        """The embeddings of a folder's videos, made once per model."""
        from cavmae_mm.apis import embed_files
        videos, _, _ = _media_suffixes()
        files = self.allowed.files_in(folder, videos)
        if not files:
            raise Refused(f'{self.allowed.display(folder)}: no videos '
                          f'({", ".join(videos)})')
        key = (self.searcher.generation, str(folder),
               tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns)
                     for f in files))
        index = self.galleries.get(key)
        if index is None:
            index = embed_files(model, [str(f) for f in files],
                                ('audio', 'visual'))
            self.galleries.put(key, index)
        return index

    def search(self, query: Optional[str], gallery: Optional[str],
               topk: int) -> Dict[str, Any]:
        """Ranks a gallery's videos against an uploaded query.

        Returns:
            dict: ``rows`` ([rank, file, score, start, end]), ``clips``
            ([(video, caption)]) and ``status``; on failure only
            ``status``.
        """
        from cavmae_mm.apis import av_search
        videos, audios, images = _media_suffixes()
        query_path = None
        try:
            query_path = check_upload(query, self.max_upload_bytes,
                                      videos + audios + images)
            if not gallery:
                raise Refused('choose a gallery (a folder of videos or an '
                              'index .pt)')
            target = self.allowed.resolve(gallery, 'any')
            if target.is_file() and target.suffix != '.pt':
                raise Refused(f'{gallery}: a gallery is a folder of videos '
                              'or an index .pt')
            with self.searcher.lock:
                model = self.searcher.model
                if model is None:
                    raise Refused('no search model loaded: start the page '
                                  'with --search-config/--search-checkpoint '
                                  'or load one in the Model tab')
                started = time.time()
                items = str(target) if target.is_file() else \
                    self.gallery_index(model, target)
                found = av_search(model, items, str(query_path), int(topk))
            elapsed = time.time() - started
            out_dir = self.workspace.new_dir()
            rows, clips = [], []
            for match in found['matches']:
                file = Path(match['input']) if target.is_dir() else \
                    locate(match['input'], target, self.allowed)
                shown = self.allowed.display(file) if file else \
                    f'{match["input"]} (not in the allowed folders)'
                start, end = match.get('start'), match.get('end')
                rows.append([
                    match['rank'], shown,
                    round(match['score'], 4),
                    _clock(start),
                    _clock(end)
                ])
                if file is not None and len(clips) < MAX_RESULTS:
                    when = f' {_clock(start)}-{_clock(end)}' \
                        if start is not None else ''
                    clips.append(
                        (str(playable_preview(file, out_dir, start, end)),
                         f'{match["rank"]}. {file.name}{when} '
                         f'({match["score"]:+.3f})'))
        except (ValueError, OSError, RuntimeError, TypeError) as err:
            return dict(status=f'**Search failed:** '
                        f'{readable(err, query_path)}')
        status = (f'**{len(rows)} matches** for {query_path.name} '
                  f'({" + ".join(found["query_modalities"])} query) in '
                  f'{self.allowed.display(target)}, {elapsed:.1f} s')
        if found['errors']:
            status += (
                f'; {len(found["errors"])} gallery files could not '
                'be used: ' +
                '; '.join(str(e.get('error')) for e in found['errors'][:3]))
        return dict(rows=rows, clips=clips, status=status)

    # -- model ------------------------------------------------------------
    def model_choices(self) -> List[str]:
        """The configs the Model tab offers: the command line's, then the
        model-zoo names whose weights are on this machine."""
        return list(self.startup) + [n for n, _ in local_zoo_models()]

    def load_model(self, role: str, config: str,
                   checkpoint: Optional[str]) -> str:
        """Loads a model for 'classify' or 'search' from the page; the
        status (Markdown).

        ``config``: a label of :attr:`startup`, a model-zoo name with
        local weights, or a config file in an allowed folder.
        ``checkpoint``: a file in an allowed folder; empty for the
        choice's own weights. Nothing is downloaded.
        """
        slot = self.classifier if role == 'classify' else self.searcher
        try:
            if not config:
                raise Refused('choose a model')
            zoo = dict(local_zoo_models())
            if config in self.startup:
                config_arg, default_ckpt = self.startup[config]
            elif config in zoo:
                config_arg, default_ckpt = config, str(zoo[config])
            else:
                config_arg = str(self.allowed.resolve(config, 'file'))
                default_ckpt = None
            if checkpoint and checkpoint.strip():
                ckpt = str(self.allowed.resolve(checkpoint, 'file'))
            elif default_ckpt is not None:
                ckpt = default_ckpt
            else:
                raise Refused(f'{config}: give its checkpoint (a file in the '
                              'allowed folders)')
            from cavmae_mm.checkpoint.download import is_url
            if is_url(ckpt):
                raise Refused(f'{config}: its weights are not on this '
                              'machine; the page downloads nothing')
            slot.load(config_arg, ckpt)
        except (ValueError, OSError, RuntimeError, TypeError) as err:
            return f'**Could not load {config}:** {readable(err)}\n\n' + \
                self.model_status()
        return f'**Loaded for {role}:** {slot.describe()}\n\n' + \
            self.model_status()

    def model_status(self) -> str:
        return (f'Classify: {self.classifier.describe()}  \n'
                f'Search: {self.searcher.describe()}')


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------
CSS = '#classify-status, #search-status, #model-status {min-height: 2em}'


def build_app(ui: WebUI, concurrency: int = 2, queue_size: int = 16):
    """The Gradio Blocks of the page (queued)."""
    import gradio as gr

    def progress_fn(progress) -> ProgressFn:

        def report(done: int, total: int, unit: str) -> None:
            progress((done, total), desc=unit, unit=unit)

        return report

    def classify(upload,
                 server_path,
                 topk,
                 window,
                 stride,
                 labelled,
                 progress=gr.Progress()):
        out = ui.classify(upload, server_path, topk, window, stride, labelled,
                          progress_fn(progress))
        return (out.get('labels'), out.get('timeline'), out.get('video'),
                out.get('downloads'), out.get('json'), out['status'])

    def search(query, gallery, topk):
        out = ui.search(query, gallery, topk)
        return out.get('rows', []), out.get('clips', []), out['status']

    def refresh():
        return gr.Dropdown(choices=find_galleries(ui.allowed))

    def load(role, config, checkpoint):
        status = ui.load_model(role.lower(), config, checkpoint)
        return status, gr.Dropdown(choices=ui.model_choices())

    allowed_note = ('Allowed folders: ' +
                    ', '.join(f'`{r.name}`' for r in ui.allowed.roots) +
                    '.' if ui.allowed else
                    'No server folders allowed (start with --allowed-dir).')
    with gr.Blocks(
            title='CAV-MAE',
            analytics_enabled=False,
            delete_cache=(MAX_AGE_S, MAX_AGE_S)) as app:
        gr.Markdown('# CAV-MAE: audio-visual classification and search\n'
                    f'{allowed_note} Uploads up to '
                    f'{ui.max_upload_bytes / 2**20:.0f} MB.')
        with gr.Tab('Classify', id='classify'):
            with gr.Row():
                with gr.Column(scale=1):
                    upload = gr.File(
                        label='Video or audio file', elem_id='classify-upload')
                    server_path = gr.Textbox(
                        label='…or a file on the server (in an allowed '
                        'folder)',
                        elem_id='classify-path',
                        interactive=bool(ui.allowed))
                    with gr.Accordion('Options', open=False):
                        topk = gr.Slider(
                            1, 20, value=ui.topk, step=1, label='Top labels')
                        window = gr.Number(
                            0, label="Window, s (0: the model's clip)")
                        stride = gr.Number(
                            0, label='Stride, s (0: half the window)')
                        labelled = gr.Checkbox(
                            True, label='Labelled copy of a long video')
                    run = gr.Button(
                        'Classify', variant='primary', elem_id='classify-run')
                with gr.Column(scale=2):
                    status = gr.Markdown(elem_id='classify-status')
                    labels = gr.Label(
                        label='Top labels (whole file)',
                        elem_id='classify-labels')
                    timeline = gr.Image(
                        label='Timeline',
                        type='filepath',
                        elem_id='classify-timeline')
                    video = gr.Video(
                        label='Labelled video',
                        height=360,
                        elem_id='classify-video')
                    downloads = gr.File(
                        label='Downloads',
                        file_count='multiple',
                        elem_id='classify-downloads')
                    result = gr.JSON(label='Result', elem_id='classify-json')
            run.click(
                classify,
                [upload, server_path, topk, window, stride, labelled],
                [labels, timeline, video, downloads, result, status],
                api_name='classify')
        with gr.Tab('Search', id='search'):
            with gr.Row():
                with gr.Column(scale=1):
                    gallery = gr.Dropdown(
                        choices=find_galleries(ui.allowed),
                        value=None,
                        allow_custom_value=True,
                        label='Gallery (folder of videos or index .pt)',
                        elem_id='search-gallery')
                    rescan = gr.Button('Look for galleries again', size='sm')
                    query = gr.File(
                        label='Query clip (audio, video or image)',
                        elem_id='search-query')
                    search_topk = gr.Slider(
                        1, 50, value=10, step=1, label='Matches')
                    go = gr.Button(
                        'Search', variant='primary', elem_id='search-run')
                with gr.Column(scale=2):
                    search_status = gr.Markdown(elem_id='search-status')
                    table = gr.Dataframe(
                        headers=['rank', 'file', 'score', 'start', 'end'],
                        label='Matches',
                        interactive=False,
                        elem_id='search-table')
                    clips = gr.Gallery(
                        label='Matches (play)',
                        columns=3,
                        elem_id='search-clips')
            rescan.click(refresh, None, gallery)
            go.click(
                search, [query, gallery, search_topk],
                [table, clips, search_status],
                api_name='search')
        with gr.Tab('Model', id='model'):
            model_status = gr.Markdown(
                ui.model_status(), elem_id='model-status')
            role = gr.Radio(['Classify', 'Search'],
                            value='Classify',
                            label='Use for',
                            elem_id='model-role')
            config = gr.Dropdown(
                choices=ui.model_choices(),
                value=None,
                allow_custom_value=True,
                label='Model: a model-zoo name with local weights, or a '
                'config file in an allowed folder',
                elem_id='model-config')
            checkpoint = gr.Textbox(
                label='Checkpoint in an allowed folder (empty: the '
                "model's own weights)",
                elem_id='model-checkpoint')
            load_button = gr.Button('Load', elem_id='model-load')
            load_button.click(
                load, [role, config, checkpoint], [model_status, config],
                api_name='load_model',
                concurrency_limit=1)
    app.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    return app


def parse_args(argv=None) -> argparse.Namespace:
    lines = __doc__.strip('\n').splitlines()
    parser = argparse.ArgumentParser(
        description=lines[0] + ' ' + lines[1],
        epilog='\n'.join(lines[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--config',
        help='classifier: config file or model-zoo name (none: load one in '
        'the Model tab)')
    parser.add_argument(
        '--checkpoint',
        help="its checkpoint (a model-zoo name defaults to its weights)")
    parser.add_argument(
        '--search-config',
        help='search model: config file or model-zoo '
        'name (a pretrained model, e.g. cavmae-scale++_as2m)')
    parser.add_argument('--search-checkpoint', help='its checkpoint')
    parser.add_argument('--host', default='127.0.0.1', help='address served')
    parser.add_argument('--port', type=int, default=7860, help='port')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda')
    parser.add_argument(
        '--allowed-dir',
        action='append',
        default=[],
        metavar='DIR',
        help='a folder requests may read (repeat for more); none: uploads '
        'only')
    parser.add_argument(
        '--max-upload-mb', type=float, default=200, help='largest upload, MB')
    parser.add_argument(
        '--topk', type=int, default=5, help='labels shown by default')
    parser.add_argument(
        '--concurrency',
        type=int,
        default=2,
        help='requests served at once (the rest wait in the queue)')
    args = parser.parse_args(argv)
    if args.max_upload_mb <= 0 or args.topk < 1 or args.concurrency < 1:
        parser.error('--max-upload-mb, --topk and --concurrency must be '
                     'positive')
    if args.checkpoint and not args.config:
        parser.error('--checkpoint needs --config')
    if args.search_checkpoint and not args.search_config:
        parser.error('--search-checkpoint needs --search-config')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        allowed = AllowedDirs(args.allowed_dir)
    except NotADirectoryError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    workspace = Workspace()
    atexit.register(workspace.cleanup)
    # SIGTERM ends the server as Ctrl+C does, so that the folder is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.environ['GRADIO_TEMP_DIR'] = str(workspace.gradio)
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    try:
        import gradio as gr
    except ImportError:
        print(
            'error: Gradio is not installed; install the page\'s extra: '
            ".venv/bin/pip install -e '.[webui]' (or run make webui)",
            file=sys.stderr)
        return 2
    ui = WebUI(allowed, workspace, int(args.max_upload_mb * 2**20),
               args.device, args.topk)
    for slot, config, checkpoint in ((ui.classifier, args.config,
                                      args.checkpoint),
                                     (ui.searcher, args.search_config,
                                      args.search_checkpoint)):
        if not config:
            continue
        try:
            slot.load(config, checkpoint)
        except (ValueError, OSError, RuntimeError, TypeError) as err:
            print(f'error: {slot.role} model: {err}', file=sys.stderr)
            return 2
        ui.startup[f'{config} (given at start)'] = (config, checkpoint)
    app = build_app(ui, args.concurrency)
    print(f'uploads and results: {workspace.root} (removed at exit)')
    print('allowed folders: ' +
          (', '.join(map(str, allowed.roots)) or 'none (uploads only)'))
    theme = gr.themes.Default(
        font=['ui-sans-serif', 'system-ui', 'sans-serif'],
        font_mono=['ui-monospace', 'monospace'])
    try:
        app.launch(
            server_name=args.host,
            server_port=args.port,
            max_file_size=int(args.max_upload_mb * 2**20),
            show_error=True,
            theme=theme,
            css=CSS,
            footer_links=['gradio'],
            quiet=False)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
