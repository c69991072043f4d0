"""The data tools as the benchmarks run them (a helper module of this
folder, not a tool: it has no command line): each in its own process, as a
user would type it, and the synthetic clips they make."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_data_tool(name: str, *args) -> None:
    """Runs ``tools/data/{name}.py`` in its own process (no tool imports
    another); a failure stops the benchmark with the tool's output."""
    command = [
        sys.executable,
        str(ROOT / 'tools' / 'data' / f'{name}.py'), *map(str, args)
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f'{" ".join(command)} failed:\n{done.stderr}')


def synthetic_videos(folder: Path, classes: int, clips: int) -> None:
    """Synthetic 10 s clips of 256 px (tools/data/make_synthetic.py)."""
    run_data_tool('make_synthetic', folder,
                  '--num-classes', classes, '--per-class',
                  max(1, clips // classes), '--seconds', 10, '--size', 256)
