#!/usr/bin/env bash
# Distributed testing with torchrun.
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS_PER_NODE [test.py options]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
USAGE="usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS_PER_NODE [test.py options]"
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    echo "$USAGE"
    exit 0
fi
if [[ $# -lt 3 ]]; then
    echo "$USAGE" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
exec "$HERE/torchrun.sh" "$3" "$HERE/test.py" "$1" "$2" --launcher pytorch \
    "${@:4}"
