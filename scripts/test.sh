# `./studio test [SUITE...]`: runs the suites in order, each writing {suite, passed, failed, skipped} to
# .test-results/<suite>.json, then prints one closing line "N passed, N failed[, N skipped]". Sourced by ./studio.

write_counts() { # suite passed failed skipped [gate]
  mkdir -p "$RESULTS_DIR"
  printf '{"suite":"%s","passed":%d,"failed":%d,"skipped":%d,"gate":%s}\n' "$1" "$2" "$3" "$4" "${5:-false}" \
    >"$RESULTS_DIR/$1.json"
}

# lint, typecheck and the build are gates, not tests: each tool run is one check, listed in the summary; a failed
# check counts as a failure in the closing line, a passed one is not counted as a passed test.
CHECKS_PASSED=0
CHECKS_FAILED=0
check() { # name command...
  local name=$1
  shift
  say "check: $name"
  if "$@"; then
    CHECKS_PASSED=$((CHECKS_PASSED + 1))
  else
    CHECKS_FAILED=$((CHECKS_FAILED + 1))
    say "FAILED: $name"
  fi
}
checks_done() { # suite
  write_counts "$1" "$CHECKS_PASSED" "$CHECKS_FAILED" 0 true
  CHECKS_PASSED=0
  CHECKS_FAILED=0
}

in_trainer() { (cd "$REPO_ROOT/trainer" && "$@"); }

suite_lint() {
  check "eslint" npx --no-install eslint .
  check "prettier --check" npx --no-install prettier --check --log-level warn .
  check "ruff check" in_trainer "$VENV_DIR/bin/ruff" check medqa_trainer tests
  checks_done lint
}

suite_typecheck() {
  check "tsc -p ." npx --no-install tsc -p . --noEmit
  check "tsc -p test" npx --no-install tsc -p test/tsconfig.json --noEmit
  check "tsc -p webviews" npx --no-install tsc -p webviews/tsconfig.json --noEmit
  check "mypy (trainer)" in_trainer "$VENV_DIR/bin/mypy"
  checks_done typecheck
}

# A runner that dies before its reporter writes counts (a syntax error, a crash) must still count as a failure.
ensure_counts() { # suite exit-code
  if [ ! -f "$RESULTS_DIR/$1.json" ]; then
    say "$1: the runner wrote no counts (exit code $2); counting the suite as one failure"
    write_counts "$1" 0 1 0
  elif [ "$2" -ne 0 ] && ! grep -q '"failed":[1-9]' "$RESULTS_DIR/$1.json"; then
    say "$1: the runner exited with code $2 although no test failed; counting one failure"
    node -e 'const f=process.argv[1],r=JSON.parse(require("fs").readFileSync(f));r.failed+=1;require("fs").writeFileSync(f,JSON.stringify(r))' \
      "$RESULTS_DIR/$1.json"
  fi
}

run_mocha_suite() { # suite mocha-args...
  local suite=$1 code=0
  shift
  MEDQA_SUITE=$suite MEDQA_RESULTS_FILE="$RESULTS_DIR/$suite.json" npx --no-install mocha "$@" || code=$?
  ensure_counts "$suite" "$code"
}

suite_unit() { run_mocha_suite unit --config test/unit/.mocharc.json; }

suite_python() {
  local junit="$RESULTS_DIR/python-junit.xml" code=0
  rm -f "$junit"
  in_trainer "$VENV_PYTHON" -m pytest -q -p no:cacheprovider --junitxml="$junit" || code=$?
  if [ "$code" -eq 5 ]; then # pytest: no tests collected
    write_counts python 0 0 0
    return
  fi
  if [ -f "$junit" ]; then
    "$VENV_PYTHON" - "$junit" <<'EOF' >"$RESULTS_DIR/python.json"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = lambda key: sum(int(s.get(key, 0)) for s in suites)
failed = total("failures") + total("errors")
skipped = total("skipped")
# Compact separators: ensure_counts greps for '"failed":N' (with a space it counted a failure twice).
counts = {"suite": "python", "passed": total("tests") - failed - skipped, "failed": failed, "skipped": skipped}
print(json.dumps(counts, separators=(",", ":")))
EOF
  fi
  ensure_counts python "$code"
}

suite_integration() {
  local code=0
  MEDQA_RESULTS_FILE="$RESULTS_DIR/integration.json" node out/test/integration/run.js || code=$?
  ensure_counts integration "$code"
}

# MEDQA_E2E_SPEC narrows the run to some compiled spec files (a glob), e.g. out/test/e2e/training.test.js.
suite_e2e() { run_mocha_suite e2e --config test/e2e/.mocharc.json "${MEDQA_E2E_SPEC:-out/test/e2e/**/*.test.js}"; }

# The bundles the unit, integration and e2e suites run; a broken build is itself one failed test.
build_for_tests() {
  say "building (node esbuild.mjs)"
  if node esbuild.mjs; then write_counts build 1 0 0 true; else write_counts build 0 1 0 true; fi
}

print_summary() { # suite...
  node - "$RESULTS_DIR" "$@" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [dir, ...suites] = process.argv.slice(2);
const total = { passed: 0, failed: 0, skipped: 0 };
const gates = { passed: 0, failed: 0 };
for (const suite of suites) {
  const file = path.join(dir, `${suite}.json`);
  const counts = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
  const seconds = counts.seconds === undefined ? '' : ` in ${counts.seconds}s`;
  if (counts.gate) {
    // Gates (lint, typecheck, build) are not tests: only their failures reach the closing line.
    gates.passed += counts.passed;
    gates.failed += counts.failed;
    total.failed += counts.failed;
    console.log(`  ${suite.padEnd(12)} gate: ${counts.passed} of ${counts.passed + counts.failed} checks passed${seconds}`);
    continue;
  }
  for (const key of Object.keys(total)) total[key] += counts[key] ?? 0;
  console.log(`  ${suite.padEnd(12)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${seconds}`);
}
if (gates.passed + gates.failed > 0)
  console.log(`  gates: ${gates.passed} of ${gates.passed + gates.failed} checks passed (not counted as tests below; a failed check counts as failed)`);
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exitCode = total.failed > 0 ? 1 : 0;
EOF
}

# Adds the wall time to a suite's counts file, for the summary table.
record_seconds() { # suite seconds
  node -e 'const f=process.argv[1],r=JSON.parse(require("fs").readFileSync(f));r.seconds=Number(process.argv[2]);require("fs").writeFileSync(f,JSON.stringify(r))' \
    "$RESULTS_DIR/$1.json" "$2" 2>/dev/null || true
}

# The python, integration and e2e suites submit jobs to a one-node Slurm cluster on localhost. When it cannot
# start, the reason goes to MEDQA_SLURM_PROBLEM and the Slurm tests fail with it (they never skip).
# A cluster this run started is stopped when it ends (stop_local_slurm); one already running is left as found.
start_local_slurm() {
  local out
  if ! "$REPO_ROOT/scripts/slurm_local.sh" status 2>/dev/null | grep -q "slurmctld running"; then
    SLURM_STARTED_HERE=1
  fi
  if out=$("$REPO_ROOT/scripts/slurm_local.sh" start 2>&1); then
    eval "$(grep '^export SLURM_CONF=' <<<"$out")"
    unset MEDQA_SLURM_PROBLEM
  else
    export MEDQA_SLURM_PROBLEM="the local Slurm cluster did not start: $out"
    say "$MEDQA_SLURM_PROBLEM"
  fi
}

stop_local_slurm() {
  if [ "${SLURM_STARTED_HERE:-}" = 1 ]; then "$REPO_ROOT/scripts/slurm_local.sh" stop >/dev/null 2>&1 || true; fi
}

run_tests() {
  local suites=() suite started
  read -r -a suites <<<"$*"
  for suite in "${suites[@]}"; do
    declare -F "suite_$suite" >/dev/null || die "unknown suite: $suite (known: $ALL_SUITES)"
  done
  cd "$REPO_ROOT"
  export_test_env
  mkdir -p "$RESULTS_DIR"
  rm -f "$RESULTS_DIR"/*.json
  local counted=()
  if [[ " ${suites[*]} " =~ \ (python|integration|e2e)\  ]]; then
    start_local_slurm
    trap stop_local_slurm EXIT
  fi
  if [[ " ${suites[*]} " =~ \ (unit|integration|e2e)\  ]]; then
    build_for_tests
    counted+=(build)
  fi
  for suite in "${suites[@]}"; do
    say "suite: $suite"
    started=$SECONDS
    "suite_$suite" || true
    record_seconds "$suite" $((SECONDS - started))
    counted+=("$suite")
  done
  echo
  say "summary (counts in $RESULTS_DIR)"
  print_summary "${counted[@]}"
}
