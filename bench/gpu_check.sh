#!/usr/bin/env bash
# The GPU check in one command (issue 19; see bench/gpu_check.py): nvidia-smi, QLoRA nf4 vs bf16 LoRA on SmolLM2
# from the local model catalogue (tokens/s, peak GPU memory, loss after N steps), batched evaluation tokens/s, all in
# one JSON file. Killed at 470 s so the whole check stays under 8 minutes. Without a GPU it exits 2, saying so;
# `--cpu-smoke` runs the script on this CPU with tiny sizes.
#
#   bench/gpu_check.sh [--out gpu_check.json] [--steps 60] [--cpu-smoke]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${MEDQA_PYTHON:-$repo/.venv/bin/python}"
[[ -x "$python" ]] || python="$(command -v python3)"
if [[ " $* " != *" --cpu-smoke "* ]]; then
  if command -v nvidia-smi >/dev/null; then nvidia-smi; else echo "gpu_check: nvidia-smi not found" >&2; fi
fi
export PYTHONUNBUFFERED=1
limit=470; [[ " $* " == *" --cpu-smoke "* ]] && limit=2430
exec timeout --kill-after=5 "$limit" "$python" "$repo/bench/gpu_check.py" "$@"
