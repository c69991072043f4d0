#!/usr/bin/env bash
# Distributed training with torchrun.
#   tools/dist_train.sh CONFIG GPUS_PER_NODE [train.py options]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/torchrun.sh" "$2" "$HERE/train.py" "$1" --launcher pytorch "${@:3}"
