#!/usr/bin/env bash
# torchrun of one of this folder's scripts on this node (used by
# dist_train.sh and dist_test.sh).
#   tools/torchrun.sh PROCS_PER_NODE SCRIPT [script arguments]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
USAGE="usage: tools/torchrun.sh PROCS_PER_NODE SCRIPT [script arguments]"
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    echo "$USAGE"
    exit 0
fi
if [[ $# -lt 2 ]]; then
    echo "$USAGE" >&2
    exit 2
fi
PROCS=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python}

PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --master_port="$PORT" \
    --nproc_per_node="$PROCS" \
    "$SCRIPT" "${@:3}"
