"""Runs one job per input file: parallel, resumable, failures recorded.

The shared part of ``extract_audio.py`` and ``extract_frames.py``: their
arguments and their main body (:func:`add_extraction_args`,
:func:`extract_videos`). A helper module of this folder, not a tool (it has
no command line); standard library only at import, as the tools' ``--help``
needs.
"""
import argparse
import functools
import multiprocessing
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

#: A job returns None when done, or the reason it failed.
Job = Callable[[str], Optional[str]]


def list_inputs(source: str,
                suffixes: Optional[Sequence[str]] = None,
                recursive: bool = False) -> List[str]:
    """The videos of a folder (sorted; with ``recursive`` also of its
    sub-folders), one video file, or the lines of a list file.

    Args:
        suffixes (Sequence[str], optional): Video file suffixes; defaults to
            ``cavmae_mm.utils.video_io.VIDEO_EXTENSIONS``.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: A folder without videos, or an empty list file.
    """
    if suffixes is None:
        from cavmae_mm.utils.video_io import VIDEO_EXTENSIONS
        suffixes = VIDEO_EXTENSIONS
    path = Path(source)
    if path.is_dir():
        found = path.rglob('*') if recursive else path.iterdir()
        videos = sorted(
            str(p) for p in found
            if p.is_file() and p.suffix.lower() in suffixes)
        if not videos:
            raise ValueError(
                f'{source}: no videos ({", ".join(suffixes)}) in the folder' +
                ('' if recursive else ' (--recursive for sub-folders)'))
        return videos
    if path.is_file() and path.suffix.lower() in suffixes:
        return [str(path)]
    if path.is_file():
        try:
            lines = path.read_text(encoding='utf-8').splitlines()
        except UnicodeDecodeError as err:
            raise ValueError(
                f'{source}: neither a video ({", ".join(suffixes)}'
                ') nor a text list of videos') from err
        videos = [ln.strip() for ln in lines if ln.strip()]
        if not videos:
            raise ValueError(f'{source}: the list file is empty')
        return videos
    raise FileNotFoundError(f'{source}: no such folder, video or list file')


def _run_one(args: Tuple[Job, str]) -> Tuple[str, Optional[str]]:
    job, item = args
    return item, job(item)


def run_jobs(items: Sequence[str], job: Job, workers: int,
             failures_file: Path) -> Tuple[int, List[Tuple[str, str]]]:
    """Runs ``job`` on each item with a progress bar.

    Returns:
        tuple: The number of successes and the (item, reason) failures, which
        are also written to ``failures_file`` (one ``item<TAB>reason`` line
        each; the file is removed when nothing failed).
    """
    failures: List[Tuple[str, str]] = []
    done = 0
    from mmengine.utils import ProgressBar
    bar = ProgressBar(len(items))
    tasks = [(job, item) for item in items]
    if workers > 1:
        with multiprocessing.get_context('spawn').Pool(workers) as pool:
            results = pool.imap_unordered(_run_one, tasks)
            for item, reason in results:
                done, failures = _record(item, reason, done, failures)
                bar.update()
    else:
        for task in tasks:
            item, reason = _run_one(task)
            done, failures = _record(item, reason, done, failures)
            bar.update()
    if failures:
        failures_file.write_text(''.join(f'{item}\t{reason}\n'
                                         for item, reason in failures))
    elif failures_file.exists():
        failures_file.unlink()
    return done, failures


def _record(item, reason, done, failures):
    if reason is None:
        return done + 1, failures
    return done, failures + [(item, reason)]


def run_extraction(videos: Sequence[str], out_dir: Path,
                   is_done: Callable[[str], bool], job: Job, workers: int,
                   name: str) -> Tuple[int, str]:
    """Extracts what is not done yet.

    Returns:
        tuple: The exit code (1 if any input failed, the failures listed with
        their reasons in ``out_dir/{name}_failures.tsv``; else 0) and a
        one-line summary for the tool to print.
    """
    todo = [v for v in videos if not is_done(v)]
    failures_file = out_dir / f'{name}_failures.tsv'
    done, failures = run_jobs(todo, job, workers, failures_file)
    summary = (f'{len(videos)} videos: {done} extracted, '
               f'{len(videos) - len(todo)} already done, '
               f'{len(failures)} failed' +
               (f' (see {failures_file})' if failures else ''))
    return (1 if failures else 0), summary


def add_extraction_args(parser: argparse.ArgumentParser,
                        out_dir_help: str) -> None:
    """The extraction tools' common arguments: ``videos``, ``out_dir``,
    ``--workers`` and ``--recursive`` (what :func:`extract_videos`
    reads)."""
    parser.add_argument(
        'videos', help='folder of videos, a video or a '
        'list file')
    parser.add_argument('out_dir', help=out_dir_help)
    parser.add_argument(
        '--workers', type=int, default=1, help='extraction processes')
    parser.add_argument(
        '--recursive',
        action='store_true',
        help='also the videos of sub-folders')


def extract_videos(args: argparse.Namespace, name: str,
                   outputs: Callable[[Path, str], List[Path]],
                   extract_one: Callable[...,
                                         Optional[str]], **options) -> int:
    """The extraction tools' main body, after parsing.

    Lists ``args.videos``, skips the videos whose ``outputs(out_dir,
    video)`` all exist, runs ``extract_one(video, out_dir=..., **options)``
    on the others in ``args.workers`` processes and prints the summary.

    Returns:
        int: The exit code: 0, 1 if any video failed (see
        :func:`run_extraction`), 2 if the inputs cannot be listed.
    """
    try:
        videos = list_inputs(args.videos, recursive=args.recursive)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    code, summary = run_extraction(
        videos, out_dir,
        lambda v: all(p.is_file() for p in outputs(out_dir, v)),
        functools.partial(extract_one, out_dir=str(out_dir),
                          **options), args.workers, name)
    print(f'\n{summary}')
    return code
