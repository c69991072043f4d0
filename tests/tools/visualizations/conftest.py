import sys
from pathlib import Path

# The tools of tools/visualizations are imported by their module names.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'tools' /
                       'visualizations'))
