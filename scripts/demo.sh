# `./studio demo [--port N]`: MedQA Studio installed from its .vsix into code-server, with demo/ open, until Ctrl-C.
# Sourced by ./studio (after setup_all and package.sh).

DEMO_PROFILE=${MEDQA_DEMO_PROFILE:-$HOME/.cache/medqa-studio/demo-profile}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Sets one key in a settings.json, keeping whatever else the user changed there during earlier demos.
# With --default it only fills a key the user has not set.
set_setting() { # [--default] file key json-value
  local only_default=false
  [ "$1" = "--default" ] && { only_default=true; shift; }
  mkdir -p "$(dirname "$1")"
  node -e '
    const fs = require("fs"); const [file, key, value, onlyDefault] = process.argv.slice(1);
    let settings = {};
    try { settings = JSON.parse(fs.readFileSync(file, "utf8")); } catch {}
    if (onlyDefault === "true" && key in settings) process.exit(0);
    settings[key] = JSON.parse(value);
    fs.writeFileSync(file, JSON.stringify(settings, null, 2));' "$1" "$2" "$3" "$only_default"
}

run_demo() {
  local port=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=${2:?--port needs a number}; shift 2 ;;
      --port=*) port=${1#--port=}; shift ;;
      *) die "unknown demo option: $1 (usage: ./studio demo [--port N])" ;;
    esac
  done
  [ -n "$port" ] || port=$(free_port)

  package_vsix
  local user_data="$DEMO_PROFILE/user-data" extensions="$DEMO_PROFILE/extensions" setting_file
  mkdir -p "$user_data" "$extensions" "$DEMO_PROFILE/xdg-config" "$DEMO_PROFILE/xdg-cache" "$DEMO_PROFILE/xdg-data"
  export XDG_CONFIG_HOME="$DEMO_PROFILE/xdg-config" XDG_CACHE_HOME="$DEMO_PROFILE/xdg-cache" XDG_DATA_HOME="$DEMO_PROFILE/xdg-data"
  say "installing the extension into $extensions"
  PATH="$NODE24_BIN:$PATH" "$CODE_SERVER_BIN" --user-data-dir "$user_data" --extensions-dir "$extensions" \
    --install-extension "$VSIX_FILE" --force >/dev/null || die "code-server --install-extension failed"

  # medqa.pythonPath is machine-scoped: code-server reads it from the Machine settings, the rest from User.
  for setting_file in "$user_data/User/settings.json" "$user_data/Machine/settings.json"; do
    set_setting "$setting_file" medqa.pythonPath "\"$VENV_PYTHON\""
    if [ -d "$SHARED_DIR/models/qwen3-tokenizer" ]; then
      set_setting "$setting_file" medqa.tokenizerPath "\"$SHARED_DIR/models/qwen3-tokenizer\""
    fi
  done
  # A calm first start: no trust prompt, no chat side bar, no offer to open the enclosing git repository.
  local user_settings="$user_data/User/settings.json"
  set_setting --default "$user_settings" security.workspace.trust.enabled false
  set_setting --default "$user_settings" workbench.secondarySideBar.defaultVisibility '"hidden"'
  set_setting --default "$user_settings" chat.disableAIFeatures true
  set_setting --default "$user_settings" git.openRepositoryInParentFolders '"never"'
  set_setting --default "$user_settings" workbench.startupEditor '"none"'

  local config="$DEMO_PROFILE/config.yaml" log="$DEMO_PROFILE/code-server.log"
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$config"
  export MEDQA_SHARED="$SHARED_DIR" MEDQA_MODELS_DIR="$MODELS_DIR"
  # Its own process group (setsid), so Ctrl-C ends code-server and every helper it forked, by that group id.
  PATH="$NODE24_BIN:$PATH" setsid "$CODE_SERVER_BIN" --config "$config" --bind-addr "127.0.0.1:$port" --auth none \
    --disable-telemetry --disable-update-check --disable-getting-started-override \
    --user-data-dir "$user_data" --extensions-dir "$extensions" "$REPO_ROOT/demo" >"$log" 2>&1 &
  local pid=$!
  trap 'stop_demo '"$pid" EXIT
  trap 'exit 130' INT TERM

  local url="http://127.0.0.1:$port/?folder=$REPO_ROOT/demo" tries=0
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "code-server stopped during start-up; see $log"
    tries=$((tries + 1))
    [ $tries -lt 300 ] || die "code-server did not answer within 60 s; see $log"
    sleep 0.2
  done
  say "MedQA Studio demo is running: $url"
  say "open it in a browser on this machine (or forward port $port); Ctrl-C stops it. Log: $log"
  wait "$pid" || true
}

stop_demo() { # pid
  kill -TERM -- "-$1" 2>/dev/null || return 0
  local i
  for i in $(seq 1 50); do
    kill -0 -- "-$1" 2>/dev/null || { say "demo stopped"; return 0; }
    sleep 0.1
  done
  kill -KILL -- "-$1" 2>/dev/null || true
  say "demo stopped"
}
