#!/usr/bin/env bash
# Distributed training with torchrun.
#   tools/dist_train.sh CONFIG GPUS_PER_NODE [train.py options]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
USAGE="usage: tools/dist_train.sh CONFIG GPUS_PER_NODE [train.py options]"
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    echo "$USAGE"
    exit 0
fi
if [[ $# -lt 2 ]]; then
    echo "$USAGE" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/torchrun.sh" "$2" "$HERE/train.py" "$1" --launcher pytorch "${@:3}"
