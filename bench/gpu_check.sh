#!/usr/bin/env bash
# Run every reproduction job's `full` preset (the papers' configs) on one GPU, one after the
# other, and print a table of steps, wall time and verdicts. Target: under 8 minutes on an H100.
#
#   bench/gpu_check.sh                 # uses .venv/bin/python if present, else python3
#   PYTHON=python3 SEEDS=0,1 bench/gpu_check.sh
#
# Needs only torch (with CUDA) and pydantic on the GPU box: the jobs, the run store and the
# local runner import nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
"$PYTHON" - <<'PY'
import torch, sys
if not torch.cuda.is_available():
    sys.exit("gpu_check: no CUDA device visible to torch; the full presets are meant for one GPU")
print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
PY
start=$(date +%s)
"$PYTHON" bench/repro_smoke.py --preset full --seeds "${SEEDS:-0}" "$@"
echo "total wall time: $(( $(date +%s) - start )) s"
