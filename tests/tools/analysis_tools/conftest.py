import sys
from pathlib import Path

# The tools of tools/analysis_tools are imported by their module names.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'tools' /
                       'analysis_tools'))
