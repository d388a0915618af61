# slurm-ci.sh - a real single-node Slurm (Debian's slurm-wlm daemons and
# munge) for the tests of mlops-pipeline's Slurm executor, without
# systemd. Adapted from the project's verified recipe. Source it, then:
#   slurm_up     # install if missing, start munged+slurmctld+slurmd, wait for idle
#   slurm_down   # cancel jobs, stop what slurm_up started (by PID)
# Both are idempotent. Needs root, Debian 12 (Slurm 22.05).
# SLURM_CI_ACCOUNTING=1 adds MariaDB + slurmdbd so that sacct works.
: "${SLURM_CI_DIR:=${TMPDIR:-/tmp}/mlops-slurm}"  # state, spool, logs, pids; keep it short (unix sockets)
: "${SLURM_CONF:=$SLURM_CI_DIR/slurm.conf}"    # every slurm command honours it
: "${SLURM_CI_ACCOUNTING:=0}"
export SLURM_CONF
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=/usr/sbin:/sbin:$PATH ;; esac  # daemons live there

# A pid file counts only if its PID is alive AND has the expected name, so a
# stale file whose PID was reused is never signalled.
_slurm_pid_is() {  # $1 = pid file, $2 = expected /proc/PID/comm
  [ -s "$1" ] && [ "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" = "$2" ]
}

_slurm_stop() {  # args: comm=pidfile ... ; TERM all at once, wait <=15 s, then KILL
  local a f p pids="" i alive
  for a in "$@"; do
    f=${a#*=}
    if _slurm_pid_is "$f" "${a%%=*}"; then p=$(cat "$f"); kill -TERM "$p"; pids="$pids $p"; fi
    rm -f "$f"
  done
  for i in $(seq 150); do
    alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  return 0
}

slurm_install() {
  local pkgs="slurmctld slurmd slurm-client munge"
  [ "$SLURM_CI_ACCOUNTING" = 1 ] && pkgs="$pkgs slurmdbd mariadb-server"
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
     command -v sbatch >/dev/null && command -v munged >/dev/null &&
     { [ "$SLURM_CI_ACCOUNTING" != 1 ] ||
       { command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null; }; }; then
    return 0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
}

slurm_munge_up() {
  # The munge postinst creates the key; recreate it if /etc/munge was wiped.
  if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    runuser -u munge -- mungekey -c -k /etc/munge/munge.key
  fi
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0   # already up
  install -d -o munge -g munge -m 0755 /run/munge     # systemd's RuntimeDirectory
  runuser -u munge -- /usr/sbin/munged || return 1    # forks; pid in /run/munge/munged.pid
  cp /run/munge/munged.pid "$SLURM_CI_DIR/munged.ours"
  local i
  for i in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "munged did not come up" >&2; return 1
}

slurm_db_up() {  # MariaDB (default datadir, socket only) + slurmdbd
  local i
  if ! mariadb-admin ping >/dev/null 2>&1; then
    install -d -o mysql -g root -m 0755 /run/mysqld
    [ -d /var/lib/mysql/mysql ] ||               # postinst normally did this
      mariadb-install-db --user=mysql >"$SLURM_CI_DIR/log/mariadb-install.log" 2>&1
    setsid /usr/sbin/mariadbd --user=mysql --skip-networking \
      --pid-file=/run/mysqld/mysqld.pid >"$SLURM_CI_DIR/log/mariadb.log" 2>&1 </dev/null &
    for i in $(seq 300); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.1; done
    mariadb-admin ping >/dev/null 2>&1 || { echo "mariadb did not start" >&2; return 1; }
    cp /run/mysqld/mysqld.pid "$SLURM_CI_DIR/mariadb.ours"
  fi
  # fresh accounting DB each start (job ids restart at 1 with fresh ctld state)
  mariadb -e "DROP DATABASE IF EXISTS slurm_acct_db;
    CREATE OR REPLACE USER 'slurm'@'localhost' IDENTIFIED BY 'slurm';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" || return 1
  cat > "$(dirname "$SLURM_CONF")/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$SLURM_CI_DIR/slurmdbd.pid
LogFile=$SLURM_CI_DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$(dirname "$SLURM_CONF")/slurmdbd.conf"   # slurmdbd insists
  slurmdbd || return 1
  for i in $(seq 300); do sacctmgr -n show cluster >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "slurmdbd did not answer" >&2; tail -n 20 "$SLURM_CI_DIR/log/slurmdbd.log" >&2; return 1
}

slurm_write_conf() {
  local node acct="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
  [ "$SLURM_CI_ACCOUNTING" = 1 ] && acct="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux"
  # Real CPU/socket/core layout and memory; name the node localhost so the
  # config does not depend on the machine's hostname or on DNS.
  node=$(slurmd -C | sed -n '1{s/^NodeName=[^ ]*/NodeName=localhost NodeAddr=127.0.0.1/;p}')
  mkdir -p "$(dirname "$SLURM_CONF")"
  cat > "$SLURM_CONF.tmp" <<EOF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$SLURM_CI_DIR/ctld
SlurmdSpoolDir=$SLURM_CI_DIR/spool
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_CI_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/log/slurmd.log
JobCompType=jobcomp/none
$acct
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$SLURM_CONF.tmp" "$SLURM_CONF"
}

slurm_wait_idle() {  # $1 = timeout seconds
  local t=${1:-60} st="" i
  for i in $(seq $((t * 4))); do
    st=$(sinfo -h -n localhost -o %t 2>/dev/null)
    case "$st" in
      idle|mix|alloc) return 0 ;;
      *drain*|down*|inval*|fail*) break ;;
    esac
    sleep 0.25
  done
  echo "slurm node not ready (state: '${st:-no answer}')" >&2
  sinfo -R >&2
  tail -n 20 "$SLURM_CI_DIR/log/slurmctld.log" "$SLURM_CI_DIR/log/slurmd.log" >&2
  return 1
}

slurm_up() {
  slurm_install || return 1
  mkdir -p "$SLURM_CI_DIR/log"
  if _slurm_pid_is "$SLURM_CI_DIR/slurmctld.pid" slurmctld &&
     _slurm_pid_is "$SLURM_CI_DIR/slurmd.pid" slurmd; then
    slurm_wait_idle 30; return
  fi
  slurm_down >/dev/null 2>&1              # half up: stop the rest, start clean
  rm -rf "$SLURM_CI_DIR/ctld" "$SLURM_CI_DIR/spool"   # fresh state: no old jobs
  mkdir -p "$SLURM_CI_DIR/ctld" "$SLURM_CI_DIR/spool" "$SLURM_CI_DIR/log"
  slurm_munge_up || return 1
  slurm_write_conf
  if [ "$SLURM_CI_ACCOUNTING" = 1 ]; then slurm_db_up || return 1; fi
  slurmctld || return 1                   # daemonizes, writes its pid file
  slurmd -N localhost || return 1         # -N: no hostname lookup/matching
  slurm_wait_idle 60
}

# Follow a job without sacct: state from squeue (-t all also lists finished
# jobs, kept MinJobAge=3600 s), exit code "code:signal" from scontrol.
slurm_job_state() { squeue -h -t all -j "$1" -o %T 2>/dev/null; }
slurm_job_exit()  { scontrol -o show job "$1" 2>/dev/null | grep -o 'ExitCode=[0-9]*:[0-9]*' | cut -d= -f2; }
slurm_wait_job() {  # $1 = job id, $2 = timeout s (300); prints final state; rc 0 iff COMPLETED
  local s i
  for i in $(seq $(( ${2:-300} * 5 ))); do
    s=$(slurm_job_state "$1")
    case "$s" in
      PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT) sleep 0.2 ;;
      COMPLETED) echo "$s"; return 0 ;;
      "") echo UNKNOWN; return 2 ;;     # bad id, or purged after MinJobAge
      *) echo "$s"; return 1 ;;         # FAILED CANCELLED TIMEOUT OUT_OF_MEMORY NODE_FAIL ...
    esac
  done
  echo "TIMEOUT_WAITING($s)"; return 3
}

slurm_down() {
  local i d=$SLURM_CI_DIR
  if _slurm_pid_is "$d/slurmctld.pid" slurmctld; then
    scancel --user="$(id -un)" 2>/dev/null   # running jobs end before slurmd goes
    for i in $(seq 100); do [ -z "$(squeue -h -t R,CG 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  _slurm_stop "slurmd=$d/slurmd.pid" "slurmctld=$d/slurmctld.pid"
  _slurm_stop "slurmdbd=$d/slurmdbd.pid"
  # munged and mariadbd only if slurm_up started them (*.ours = their PID)
  _slurm_stop "mariadbd=$d/mariadb.ours" "munged=$d/munged.ours"
  return 0
}
