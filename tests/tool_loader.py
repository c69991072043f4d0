"""The command-line tools as modules, loaded from their files.

Each tool is a script, not a package module; loading it by file under a
unique name keeps ``tools/test.py`` from shadowing Python's own ``test``
package. As ``python TOOL`` would, the tool's folder is on ``sys.path`` (for
its helper modules, e.g. ``batch_jobs``, and, from tools/, the shared
``cli_common``); appended, so that it shadows nothing.
"""
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_tool(path: str) -> ModuleType:
    """The tool at ``path`` (relative to the repository, e.g.
    ``'tools/data/build_datalist.py'``), loaded once."""
    name = 'tool_' + path[:-len('.py')].replace('/', '__')
    if name not in sys.modules:
        folder = str((ROOT / path).parent)
        if folder not in sys.path:
            sys.path.append(folder)
        spec = importlib.util.spec_from_file_location(name, ROOT / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
