#!/usr/bin/env bash
# Side-by-side speed of ssbench's backends and PyTorch (Debian python3-torch + OpenBLAS) on the same model,
# batch and thread count, in one run. Usage: pnpm bench:peers [config] [threads]
# Needs: apt-get install python3-torch libopenblas0-pthread (the script says so when they are missing).
set -euo pipefail
config=${1:-configs/quickstart.json}
threads=${2:-1}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench:peers: PyTorch is not installed; run: apt-get install python3-torch libopenblas0-pthread" >&2
  exit 3
fi
spec=$(mktemp --suffix=.json)
trap 'rm -f "$spec"' EXIT
pnpm ssbench bench "$config" --threads "$threads" --json "$spec"
echo
# STACK.md: OpenBLAS must be told the thread count, and torch's OpenMP must not spin.
OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE \
  /usr/bin/python3 bench/peers/torch_bert.py "$spec" --threads "$threads"
