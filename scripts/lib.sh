# Shared paths and helpers for ./studio. Sourced, never run on its own.
# Everything heavy (Node 24, code-server, the Python venv, the tiny test model, WordNet data) lives in a cache
# OUTSIDE the clone, in version- or hash-keyed folders, so a fresh clone (CI) reuses what an earlier run built.

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOOLS_DIR=${MEDQA_TOOLS_DIR:-$HOME/.cache/medqa-studio/tools}
SHARED_DIR=${MEDQA_SHARED:-$(cd "$REPO_ROOT/.." && pwd)/shared}
RESULTS_DIR="$REPO_ROOT/.test-results"
# Installed local models (the trainer's `models install`); beside the tools, shared by every clone.
MODELS_DIR=${MEDQA_MODELS_DIR:-$(dirname "$TOOLS_DIR")/models}
DEMO_MODEL=smollm2-135m-instruct

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
NODE24_PREFIX="$TOOLS_DIR/node-$NODE24_VERSION"
NODE24_BIN="$NODE24_PREFIX/node_modules/node/bin"
CODE_SERVER_PREFIX="$TOOLS_DIR/code-server-$CODE_SERVER_VERSION"
CODE_SERVER_BIN="$CODE_SERVER_PREFIX/node_modules/.bin/code-server"

VENV_DIR="$REPO_ROOT/.venv"
VENV_PYTHON="$VENV_DIR/bin/python"
# slurm-wlm and munge: the one-node Slurm cluster the "Submit to Slurm" tests submit to (scripts/slurm_local.sh).
DEBIAN_PACKAGES=(chromium libkrb5-dev wordnet-base wordnet-sense-index slurm-wlm munge)

say() { printf '\033[1m[studio]\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[31m[studio] %s\033[0m\n' "$*" >&2
  exit 1
}

# Runs a noisy step with its output in a log, shown only when the step fails.
quietly() { # log-file command...
  local log=$1
  shift
  mkdir -p "$(dirname "$log")"
  if "$@" >"$log" 2>&1; then return 0; fi
  tail -n 30 "$log" >&2
  return 1
}

# sha256 of the given files' contents (plus any extra words), first 16 hex digits: keys for cache folders.
content_hash() {
  local extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    extra+=("$1")
    shift
  done
  [ "${1:-}" = "--" ] && shift
  { printf '%s\n' "${extra[@]}"; cat "$@"; } | sha256sum | cut -c1-16
}

# The packages the venv gets: the runtime and dev pins of trainer/pyproject.toml (the one list of them).
trainer_requirements() {
  python3 "$REPO_ROOT/scripts/trainer_requirements.py" dev
}

# The cached venv's key: the Python version and the pins (not the whole pyproject.toml, so a ruff or pytest
# setting there does not reinstall torch).
requirements_hash() {
  local pins
  pins=$(trainer_requirements) || die "cannot read the trainer's packages from trainer/pyproject.toml"
  content_hash "$(python3 -c 'import sys; print(sys.version)' 2>/dev/null)" "$pins" -- /dev/null
}

# A folder counts as built only once its stamp exists; the stamp is written last, after every step succeeded.
is_built() { [ -f "$1/.medqa-ok" ]; }
mark_built() { date -u +%FT%TZ >"$1/.medqa-ok"; }

# The environment every tool and test runs with: Node 24 only for code-server (it is given its own PATH),
# the repo's trainer importable without an install, caches under the tools dir.
export_test_env() {
  export MEDQA_TOOLS_DIR="$TOOLS_DIR"
  export MEDQA_SHARED="$SHARED_DIR"
  export MEDQA_REPO_ROOT="$REPO_ROOT"
  export MEDQA_NODE24_BIN="$NODE24_BIN"
  export MEDQA_CODE_SERVER="$CODE_SERVER_BIN"
  export MEDQA_PYTHON="$VENV_PYTHON"
  export MEDQA_MODELS_DIR="$MODELS_DIR"
  export PYTHONPATH="$REPO_ROOT/trainer${PYTHONPATH:+:$PYTHONPATH}"
  local tiny nltk
  tiny=$(tiny_model_dir)
  nltk=$(nltk_data_dir)
  if is_built "$tiny"; then export MEDQA_TEST_TINY_MODEL="$tiny"; fi
  if [ -n "$nltk" ] && is_built "$nltk"; then export NLTK_DATA="$nltk"; fi
  # Transformers and datasets must never try a hub from tests.
  export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
}

tiny_model_dir() {
  echo "$TOOLS_DIR/tiny-qwen3-$(content_hash "$(requirements_hash)" -- "$REPO_ROOT/trainer/medqa_trainer/tiny_model.py")"
}

# The module behind `medqa_trainer setup-wordnet`, when the trainer has that command (empty otherwise).
wordnet_module_file() {
  [ -x "$VENV_PYTHON" ] || return 0
  (cd "$REPO_ROOT/trainer" && "$VENV_PYTHON" - <<'EOF' 2>/dev/null
import importlib.util
from medqa_trainer.cli import COMMANDS
if "setup-wordnet" in COMMANDS:
    spec = importlib.util.find_spec(COMMANDS["setup-wordnet"][0])
    print(spec.origin if spec and spec.origin else "")
EOF
  )
}

nltk_data_dir() {
  local module
  module=$(wordnet_module_file)
  [ -n "$module" ] || return 0
  echo "$TOOLS_DIR/nltk_data-$(content_hash "$(requirements_hash)" -- "$module")"
}
