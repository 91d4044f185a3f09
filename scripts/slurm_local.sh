#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the "Submit to Slurm" tests: munged, slurmctld and slurmd, as root,
# with proctrack/linuxproc and task/none (no cgroups). Idempotent; `stop` ends only the daemons this script
# started, by the PIDs it recorded. Debian's slurm-wlm and munge provide the programs (./studio setup installs them).
#
#   scripts/slurm_local.sh start    # prints `export SLURM_CONF=…` for the shell that submits jobs
#   scripts/slurm_local.sh stop
#   scripts/slurm_local.sh status
#
# Everything lives under $MEDQA_SLURM_DIR (default /tmp/medqa-slurm: the munge user must reach its socket, so not
# under /root). Ports: $MEDQA_SLURM_PORT and the one after it (default 16817, 16818).
set -euo pipefail

SLURM_DIR=${MEDQA_SLURM_DIR:-/tmp/medqa-slurm}
CTLD_PORT=${MEDQA_SLURM_PORT:-16817}
CONF="$SLURM_DIR/slurm.conf"
MUNGE_DIR="$SLURM_DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket.2"
MUNGE_PID="$MUNGE_DIR/munged.pid"
CTLD_PID="$SLURM_DIR/slurmctld.pid"
SLURMD_PID="$SLURM_DIR/slurmd.pid"

fail() {
  echo "slurm_local: $*" >&2
  exit 1
}

# A PID file names a live daemon of ours only when that PID runs the program it is named after (a stale file's PID
# may have been reused by anything else, which must never be signalled).
pid_alive() { # pid-file
  local pid program
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  program=$(basename "$1" .pid)
  [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]
}

require_programs() {
  local program missing=()
  for program in munged munge unmunge slurmctld slurmd sinfo sbatch squeue scancel; do
    command -v "$program" >/dev/null || missing+=("$program")
  done
  [ ${#missing[@]} -eq 0 ] ||
    fail "missing ${missing[*]}; install Debian's slurm-wlm and munge (./studio setup, or apt-get install -y slurm-wlm munge)"
  [ "$(id -u)" -eq 0 ] || fail "starting slurmd and munged needs root (this is uid $(id -u))"
  id munge >/dev/null 2>&1 || fail "the munge user does not exist; reinstall the munge package"
}

start_munge() {
  pid_alive "$MUNGE_PID" && return 0
  mkdir -p "$MUNGE_DIR"
  chown munge:munge "$MUNGE_DIR"
  chmod 0755 "$MUNGE_DIR" # clients need to reach the socket
  if [ ! -f /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
      fail "/etc/munge/munge.key is missing and mungekey could not create it"
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  # Its own socket, PID, log and seed files: a munged the system may run is left alone.
  su -s /bin/sh munge -c "/usr/sbin/munged --socket=$MUNGE_SOCKET --pid-file=$MUNGE_PID \
    --log-file=$MUNGE_DIR/munged.log --seed-file=$MUNGE_DIR/munged.seed" ||
    fail "munged did not start; see $MUNGE_DIR/munged.log"
  munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null ||
    fail "munge credentials do not round-trip through $MUNGE_SOCKET; see $MUNGE_DIR/munged.log"
}

write_conf() {
  local host cpus memory
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024))
  mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool"
  # No cgroup.conf: Slurm 22.05's slurmd refuses CgroupPlugin=disabled but starts without the file.
  cat >"$CONF" <<EOF
ClusterName=medqa-local
SlurmctldHost=$host
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
KillWait=30
MinJobAge=300
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_for_idle_node() {
  local i
  for i in $(seq 1 60); do
    if SLURM_CONF=$CONF sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then return 0; fi
    sleep 0.5
  done
  fail "the node did not come up within 30 s (sinfo: $(SLURM_CONF=$CONF sinfo -h -o %T 2>&1 | head -1));" \
    "see $SLURM_DIR/slurmctld.log and $SLURM_DIR/slurmd.log"
}

start() {
  require_programs
  start_munge
  if ! pid_alive "$CTLD_PID" || ! pid_alive "$SLURMD_PID"; then
    write_conf
    if ! pid_alive "$CTLD_PID"; then
      SLURM_CONF=$CONF slurmctld -f "$CONF" || fail "slurmctld did not start; see $SLURM_DIR/slurmctld.log"
    fi
    if ! pid_alive "$SLURMD_PID"; then
      SLURM_CONF=$CONF slurmd -f "$CONF" || fail "slurmd did not start; see $SLURM_DIR/slurmd.log"
    fi
  fi
  wait_for_idle_node
  echo "export SLURM_CONF=$CONF"
}

stop_daemon() { # pid-file name
  pid_alive "$1" || return 0
  local pid
  pid=$(cat "$1")
  kill -TERM "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  echo "slurm_local: $2 (PID $pid) did not stop within 10 s" >&2
  return 1
}

stop() {
  stop_daemon "$SLURMD_PID" slurmd
  stop_daemon "$CTLD_PID" slurmctld
  stop_daemon "$MUNGE_PID" munged
}

status() {
  local name file
  for name in munged slurmctld slurmd; do
    case $name in munged) file=$MUNGE_PID ;; slurmctld) file=$CTLD_PID ;; slurmd) file=$SLURMD_PID ;; esac
    if pid_alive "$file"; then echo "$name running (PID $(cat "$file"))"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) fail "usage: $0 start|stop|status" ;;
esac
