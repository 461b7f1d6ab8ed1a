# scripts/lib/drill.sh — the pieces scripts/demo and scripts/soak share:
# a three-node PostgreSQL cluster with one slotd per node, two CDC consumers
# (a pgoutput subscription on a fourth PostgreSQL through slot `cdc`, and a
# test_decoding reader of slot `audit`), a writer of numbered rows, the steps
# of a minimal HA manager (switchover, crash failover, rejoin of the old
# primary with pg_rewind, or as a new copy where the server binaries have no
# pg_rewind), and the counting of rows written, received, lost and
# duplicated. The replicas are made with pg_basebackup, or with the
# low-level backup API where the binaries have none (the npm builds of other
# majors than 15: SLOTD_PG_BIN=$(scripts/pg-versions bin 16) scripts/demo).
#
# Source it after setting:
#   here       the repository root
#   dir        the run directory (removed and created again by drill_prepare_dir)
#   drill_name what `say` prints in front of its lines (demo, soak)
# and optionally: build (default $here/build), pgbin (SLOTD_PG_BIN or
# Debian's 15), rate (rows/s, default 100), noslotd (1: no agents, the slots
# are created by hand after each promotion), drill_conf_extra (lines added to
# node1's postgresql.conf, which the replicas copy).
#
# Every process this file starts is tracked by PID in files under $dir
# (agents/NODE.pid, bg/NAME.pid) or is a PostgreSQL server of a data
# directory under $dir; drill_stop_all ends exactly those. $dir/stop does the
# same from outside (for --keep).
#
# The functions of the HA steps return non-zero when a step failed; callers
# running with `set -e` stop there, the soak counts a failed event.

build=${build:-${SLOTD_BUILD_DIR:-$here/build}}
pgbin=${pgbin:-${SLOTD_PG_BIN:-/usr/lib/postgresql/15/bin}}
rate=${rate:-100}
noslotd=${noslotd:-0}
drill_lib=$here/scripts/lib/drill.sh
nodes=(node1 node2 node3)

say() { printf '\033[1m[%s %s]\033[0m %s\n' "$drill_name" "$(date +%H:%M:%S)" "$*"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Like as_pg, but the command replaces this process (no runuser in between):
# $! of `as_pg_exec CMD &` is the command's own PID, so it can be signalled
# and its exit status is the command's.
as_pg_exec() {
  if [ "$(id -u)" = 0 ]; then exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else exec "$@"; fi
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# drill_tick runs while waiting (wait_for, ctl_retry): the soak replaces it
# to notice agents that died and start them again.
drill_tick() { :; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local until=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $until ]; then say "timed out waiting for $what"; return 1; fi
    drill_tick
    sleep 0.2
  done
}

# ---------------------------------------------------------- run directory
# Ends whatever a previous run in $dir left (by the PIDs and data
# directories it recorded), then starts afresh with private copies of the
# binaries, so that a rebuild in build/ does not change a running drill.
drill_prepare_dir() {
  if [ ! -x "$build/app/slotd" ] || [ ! -x "$build/app/slotctl" ]; then
    say "building slotd (first run: a few minutes)"
    "$here/scripts/setup"
    "$here/scripts/build" "$build" --target slotd slotctl >/dev/null
  fi
  # Another demo or soak still running in $dir (two ctest runs, say) is
  # waited for, not ended.
  local owner until=$((SECONDS + 900))
  owner=$(cat "$dir/owner" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != $$ ] && grep -qaE 'scripts/(demo|soak)' "/proc/$owner/cmdline" 2>/dev/null; then
    say "waiting for the run in $dir (pid $owner) to end"
    while [ -e "/proc/$owner" ] && [ $SECONDS -lt $until ]; do sleep 1; done
    [ ! -e "/proc/$owner" ] || { say "$dir is still in use by pid $owner: choose another --dir"; return 1; }
  fi
  if [ -d "$dir" ]; then
    say "removing the previous run in $dir"
    drill_stop_all
    rm -rf "$dir"
  fi
  mkdir -p "$dir/bin" "$dir/agents" "$dir/bg"
  echo $$ > "$dir/owner"
  chmod 755 "$dir" "$dir/bin"
  cp -p "$build/app/slotd" "$build/app/slotctl" "$dir/bin/"
  slotd_bin=$dir/bin/slotd
  slotctl_bin=$dir/bin/slotctl
  "$slotd_bin" --version >/dev/null && "$slotctl_bin" --version >/dev/null ||
    { say "the copied binaries do not run (a build was linking them?): try again"; return 1; }
  cat > "$dir/stop" <<EOF
#!/usr/bin/env bash
# Stops what $drill_name started in $dir (recorded PIDs, servers of its data
# directories) and removes $dir.
here='$here' dir='$dir' pgbin='$pgbin' drill_name=stop
. '$drill_lib'
drill_stop_all
rm -rf '$dir'
EOF
  chmod 755 "$dir/stop"
}

# True when this process made the run directory: only then may its clean-up
# stop and remove what is in it.
drill_owner() { [ "$(cat "$dir/owner" 2>/dev/null)" = "$$" ]; }

# True when PID runs and its command line names the run directory: a
# recorded PID is signalled only while it is still ours.
ours() { [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && grep -qaF "$dir/" "/proc/$1/cmdline"; }

# Ends every recorded process and every server of the run: background
# loops (asked to stop through their stop file, then signalled), agents
# (SIGTERM, then SIGKILL), servers (pg_ctl immediate).
drill_stop_all() {
  local f pid n i
  for f in "$dir"/bg/*.pid; do
    [ -e "$f" ] || continue
    bg_stop "$(basename "$f" .pid)"
  done
  for f in "$dir"/agents/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    ! ours "$pid" || kill "$pid" 2>/dev/null || true
  done
  for f in "$dir"/agents/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    for i in $(seq 50); do ours "$pid" || break; sleep 0.1; done
    ! ours "$pid" || kill -9 "$pid" 2>/dev/null || true
  done
  for n in "${nodes[@]}" consumer; do
    [ -f "$dir/cluster/$n/postmaster.pid" ] || continue
    pid=$(head -1 "$dir/cluster/$n/postmaster.pid")
    as_pg "$pgbin/pg_ctl" -D "$dir/cluster/$n" -m immediate -w stop >/dev/null 2>&1 || true
    ! ours "$pid" || kill -9 "$pid" 2>/dev/null || true
  done
  return 0
}

# ------------------------------------------------------ background loops
# bg_start NAME FUNCTION [ARGS]: runs FUNCTION in the background; it should
# loop while `bg_running NAME`. bg_stop NAME asks it to stop and waits (a
# loop is never cut in the middle of a statement), then signals it if it
# did not stop within 10 s and is still a child of this shell.
bg_start() {
  local name=$1; shift
  rm -f "$dir/bg/$name.stop"
  "$@" &
  echo $! > "$dir/bg/$name.pid"
}
bg_running() { [ ! -e "$dir/bg/$1.stop" ]; }
bg_stop() {
  local name=$1 pid i
  [ -f "$dir/bg/$name.pid" ] || return 0
  pid=$(cat "$dir/bg/$name.pid")
  touch "$dir/bg/$name.stop"
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/bg/$name.pid"
  return 0
}

# ------------------------------------------------------------- servers
port() { awk -v n="$1" '$1==n{print $2}' "$dir/cluster/nodes"; }
api_port() { awk -v n="$1" '$1==n{print $2}' "$dir/api_ports"; }
psqlp() { local p=$1; shift; psql -X -q -A -t -h 127.0.0.1 -p "$p" -U postgres "$@"; }
sql() { local n=$1; shift; psqlp "$(port "$n")" -d app -c "$*"; }
csql() { psqlp "$cport" -d app -c "$*"; }
running() { as_pg "$pgbin/pg_ctl" -D "$dir/cluster/$1" status >/dev/null 2>&1; }
pg_start() { # pg_start NODE: start the server; also fine when an agent started it first
  as_pg "$pgbin/pg_ctl" -D "$dir/cluster/$1" -l "$dir/cluster/$1.log" -w -t 60 start >/dev/null 2>&1 || running "$1"
}
pg_stop() { as_pg "$pgbin/pg_ctl" -D "$dir/cluster/$1" -m fast -w -t 60 stop >/dev/null 2>&1 || ! running "$1"; }

# Ports: below 32768, outside Linux's ephemeral range (32768-60999), so
# that no client connection can take a server's or an agent's port while it
# is restarting; picked at random among the free ones, never twice in a run.
low_port() {
  python3 - "$dir/ports" <<'PY'
import os, random, socket, sys
taken = set(open(sys.argv[1]).read().split()) if os.path.exists(sys.argv[1]) else set()
while True:
    p = random.randint(20000, 32000)
    if str(p) in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    open(sys.argv[1], "a").write("%d\n" % p)
    print(p)
    break
PY
}

# The cluster: node1 primary, node2 and node3 streaming replicas through
# their physical slots (wal_level=logical, hot_standby_feedback=on,
# wal_log_hints for pg_rewind), a database `app`; then the consumer server,
# the table `demo` and its publication. A row's `src` is the port of the
# server that inserted it: a row written again after a crash lost its first
# copy is another row, not a duplicate.
drill_cluster_up() {
  local n
  say "starting PostgreSQL: node1 (primary), node2 and node3 (replicas)"
  mkdir -p "$dir/cluster"
  [ "$(id -u)" != 0 ] || chown postgres: "$dir/cluster"
  for n in "${nodes[@]}"; do echo "$n $(low_port)" >> "$dir/cluster/nodes"; done
  for n in "${nodes[@]}"; do echo "$n $(low_port)" >> "$dir/api_ports"; done
  as_pg "$pgbin/initdb" -D "$dir/cluster/node1" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null || return 1
  as_pg tee -a "$dir/cluster/node1/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = logical
hot_standby_feedback = on
max_replication_slots = 30
max_wal_senders = 30
max_connections = 60
shared_buffers = 16MB
fsync = off
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 500ms
wal_log_hints = on
log_line_prefix = '%m [%p] %q%a '
port = $(port node1)
${drill_conf_extra:-}
EOF
  pg_start node1 || return 1
  psqlp "$(port node1)" -d postgres -c "CREATE DATABASE app" || return 1
  for n in node2 node3; do
    sql node1 "SELECT pg_create_physical_replication_slot('$n', true)" >/dev/null || return 1
    clone "$n" node1 || { say "could not make $n a copy of node1"; return 1; }
    echo "port = $(port "$n")" | as_pg tee -a "$dir/cluster/$n/postgresql.conf" >/dev/null
    follow "$n" node1 || return 1
  done
  drill_consumer_up
  echo node1 > "$dir/primary"
}

# drill_consumer_up: the CDC consumer's server (port $cport) with its copy
# of the table `demo`, the table on node1 (database app, which must exist)
# and its publication.
drill_consumer_up() {
  say "starting the CDC consumer (another PostgreSQL)"
  cport=$(low_port)
  as_pg "$pgbin/initdb" -D "$dir/cluster/consumer" -U postgres -A trust --no-sync >/dev/null
  cat >> "$dir/cluster/consumer/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $cport
unix_socket_directories = ''
fsync = off
max_logical_replication_workers = 4
wal_retrieve_retry_interval = 1s
EOF
  as_pg "$pgbin/pg_ctl" -D "$dir/cluster/consumer" -l "$dir/cluster/consumer.log" -w start >/dev/null
  psqlp "$cport" -d postgres -c "CREATE DATABASE app"
  # No key on the consumer's copy: a row delivered twice is stored twice
  # (and counted), instead of stopping the subscription on a key violation.
  csql "CREATE TABLE demo (id bigint, at timestamptz, src int)"
  sql node1 "CREATE TABLE demo (id bigint PRIMARY KEY, at timestamptz DEFAULT now(), src int DEFAULT inet_server_port())"
  sql node1 "CREATE PUBLICATION pub FOR TABLE demo"
}

# clone NODE FROM: NODE's data directory becomes a base backup of FROM's
# (FROM's physical slot named NODE keeps the WAL the copy needs). With
# pg_basebackup where the server binaries have it; otherwise (the npm builds
# of majors other than 15 have only initdb, pg_ctl and postgres) with the
# low-level backup API: in one psql session, pg_backup_start, a copy of the
# data directory without what pg_basebackup leaves out, pg_backup_stop, and
# its label written as backup_label.
clone() {
  local n=$1 from=$2 src=$dir/cluster/$2 dst=$dir/cluster/$1 start stop d
  if [ -x "$pgbin/pg_basebackup" ]; then
    as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$(port "$from")" -U postgres -D "$dst" -c fast -X stream --no-sync >/dev/null
    return
  fi
  if [ "$(cat "$src/PG_VERSION")" -ge 15 ]; then
    start="pg_backup_start('slotd-drill', true)" stop="pg_backup_stop(true)"
  else
    start="pg_start_backup('slotd-drill', true, false)" stop="pg_stop_backup(false, true)"
  fi
  as_pg mkdir -m 700 "$dst" || return 1
  # The copy's statuses, written by the psql session's shell (postgres's
  # when run as root: under $dir/cluster, which postgres owns).
  rm -f "$dir/cluster/clone-$n.tar-c" "$dir/cluster/clone-$n.tar-x"
  as_pg psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(port "$from")" -U postgres -d postgres \
    > "$dir/clone-$n.label" 2> "$dir/clone-$n.log" <<SQL || { cat "$dir/clone-$n.log" >&2; return 1; }
\o /dev/null
SELECT $start;
\! cd '$src' && { tar -c -f - --ignore-failed-read --warning=no-file-changed --warning=no-file-removed --exclude=./postmaster.pid --exclude=./postmaster.opts --exclude=./standby.signal --exclude=./recovery.signal --exclude=./backup_label --exclude=./tablespace_map --exclude='./pg_wal/*' --exclude='./pg_replslot/*' --exclude='./pg_stat_tmp/*' --exclude='./pg_dynshmem/*' --exclude='./pg_notify/*' --exclude='./pg_serial/*' --exclude='./pg_snapshots/*' --exclude='./pg_subtrans/*' --exclude=pg_internal.init --exclude='pgsql_tmp*' .; echo \$? > '$dir/cluster/clone-$n.tar-c'; } | { tar -x -f - -C '$dst'; echo \$? > '$dir/cluster/clone-$n.tar-x'; }
\o
SELECT labelfile FROM $stop;
SQL
  # psql's \! does not fail on the command's status: the copy's own. tar -c
  # exits 1 when a file changed while it was read (the backup's WAL replay
  # repairs that), 2 on a fatal error; tar -x must succeed.
  local c x
  c=$(cat "$dir/cluster/clone-$n.tar-c" 2>/dev/null) x=$(cat "$dir/cluster/clone-$n.tar-x" 2>/dev/null)
  if { [ "$c" != 0 ] && [ "$c" != 1 ]; } || [ "$x" != 0 ]; then
    echo "clone $n from $from: the data directory copy failed (tar -c: ${c:-did not run}, tar -x: ${x:-did not run})" >&2
    return 1
  fi
  for d in pg_wal/archive_status pg_replslot pg_stat_tmp pg_dynshmem pg_notify pg_serial pg_snapshots pg_subtrans; do
    as_pg mkdir -p -m 700 "$dst/$d" || return 1
  done
  as_pg cp "$dir/clone-$n.label" "$dst/backup_label"
  [ -s "$dst/backup_label" ] && [ -f "$dst/PG_VERSION" ]
}

# The latest checkpoint location of a data directory whose server was shut
# down cleanly (its shutdown checkpoint), as pg_controldata prints it; fails
# when the cluster state is not "shut down". Where the server binaries have
# no pg_controldata, read from global/pg_control itself: on every major from
# 12 on, the state is the 4 bytes at offset 16 (1: shut down) and
# checkPoint the 8 bytes at offset 32. (The file's CRC is not checked: a
# torn pg_control would fail the server's own start first.)
latest_checkpoint() {
  if [ -x "$pgbin/pg_controldata" ]; then
    LC_ALL=C as_pg "$pgbin/pg_controldata" -D "$1" | awk -F': *' '
      $1 == "Database cluster state" { state = $2 }
      $1 == "Latest checkpoint location" { lsn = $2 }
      END { if (state != "shut down" || lsn == "") { print "cluster state: " state > "/dev/stderr"; exit 1 } print lsn }'
    return
  fi
  python3 - "$1/global/pg_control" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(40)
state = struct.unpack_from("<i", head, 16)[0]
if state != 1:
    sys.exit("cluster state %d, not 1 (shut down)" % state)
lsn = struct.unpack_from("<Q", head, 32)[0]
print("%X/%X" % (lsn >> 32, lsn & 0xFFFFFFFF))
PY
}

# --------------------------------------------------------------- slotd
# With $drill_members_from set (a members_from value), the members are not
# written: the agents read them from there.
slotd_config() { # slotd_config NODE: writes $dir/NODE.yaml
  local n=$1 m members="members:"$'\n'
  if [ -n "${drill_members_from:-}" ]; then
    members="members_from: $drill_members_from"$'\n'
  else
    for m in "${nodes[@]}"; do
      members+="  $m: {host: 127.0.0.1, port: $(port "$m"), api: \"http://127.0.0.1:$(api_port "$m")\"}"$'\n'
    done
  fi
  cat > "$dir/$n.yaml" <<EOF
name: $n
scope: $drill_name
loop_wait: 2s
role: auto
postgresql:
  conninfo: "host=127.0.0.1 port=$(port "$n") user=postgres dbname=postgres"
  data_dir: $dir/cluster/$n
  bin_dir: $pgbin
$members
slots:
  cdc: {type: logical, database: app, plugin: pgoutput}
  audit: {type: logical, database: app, plugin: test_decoding}
member_slots_ttl: 30min
api:
  listen: 127.0.0.1:$(api_port "$n")
log: {level: info, format: text}
EOF
  chmod 644 "$dir/$n.yaml"
}

# agent_start NODE: slotd as postgres, under a small supervisor subshell
# that writes agents/NODE.pid (slotd's own PID) and, when slotd ends,
# agents/NODE.rc (its exit status: 128+N for signal N). The supervisor's
# own messages (bash's "Killed") go to the agent's log.
agent_start() {
  local n=$1 a=$dir/agents i
  rm -f "$a/$n.pid" "$a/$n.rc"
  (
    as_pg_exec "$slotd_bin" -c "$dir/$n.yaml" >> "$dir/slotd-$n.log" 2>&1 &
    echo $! > "$a/$n.pid.new" && mv "$a/$n.pid.new" "$a/$n.pid"
    rc=0
    wait $! || rc=$?
    echo "$rc" > "$a/$n.rc.new" && mv "$a/$n.rc.new" "$a/$n.rc"
  ) >> "$dir/slotd-$n.log" 2>&1 &
  for i in $(seq 50); do [ -s "$a/$n.pid" ] && return 0; sleep 0.1; done
  say "slotd on $n did not start"
  return 1
}
agent_pid() { cat "$dir/agents/$1.pid" 2>/dev/null; }
ctl() { local n=$1; shift; "$slotctl_bin" --api "http://127.0.0.1:$(api_port "$n")" "$@"; }
# ctl_retry SECONDS NODE ARGS...: an HA manager's call: again while the
# agent cannot be reached (3) or refuses (1, e.g. 409 during a slot copy).
ctl_retry() {
  local secs=$1 n=$2; shift 2
  local until=$((SECONDS + secs)) rc
  while true; do
    rc=0
    ctl "$n" "$@" 2> "$dir/ctl.err" || rc=$?
    [ $rc = 0 ] && return 0
    if [ $rc = 2 ] || [ $SECONDS -ge $until ]; then
      say "slotctl $* on $n failed (exit $rc): $(cat "$dir/ctl.err")" >&2
      return $rc
    fi
    drill_tick
    sleep 0.5
  done
}
ready() { ctl "$1" readiness; }
has_slot() { [ "$(sql "$1" "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$2'")" = 1 ]; }

# The slots on node1 (by the agents, or by hand with noslotd=1) and the
# consumer's subscription through `cdc`.
drill_slots_up() {
  local n
  if [ "$noslotd" = 1 ]; then
    say "NO slotd (--no-slotd): creating the slots on node1 by hand"
    sql node1 "SELECT pg_create_logical_replication_slot('cdc', 'pgoutput')" >/dev/null
    sql node1 "SELECT pg_create_logical_replication_slot('audit', 'test_decoding')" >/dev/null
  else
    say "starting one slotd per node (APIs on 127.0.0.1:$(api_port node1), $(api_port node2), $(api_port node3))"
    for n in "${nodes[@]}"; do slotd_config "$n"; agent_start "$n" || return 1; done
  fi
  wait_for 30 "slot cdc on node1" has_slot node1 cdc || return 1
  wait_for 30 "slot audit on node1" has_slot node1 audit || return 1
  say "subscribing the consumer through slot cdc"
  csql "CREATE SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port=$(port node1) dbname=app user=postgres' PUBLICATION pub WITH (slot_name = 'cdc', create_slot = false, copy_data = false)"
}

# ------------------------------------------------ writer and test_decoding
# The writer inserts batches of 10 numbered rows into the current primary
# ($dir/primary), about $rate rows/s, through one psql session (a psql per
# batch would cap the rate at a few batches per second on a small machine).
# Each batch is acknowledged by an \echo after it; when the session fails
# (server stopped, killed, read-only), a new one goes to the primary of the
# moment and the unacknowledged batch is sent again as it is (ON CONFLICT
# DO NOTHING: idempotent).
writer_loop() {
  local id=1 batch=10 pause n pid line fifo=$dir/bg/writer
  trap '' PIPE # a write to a session that ended fails instead of ending the loop
  pause=$(awk -v b=$batch -v r="$rate" 'BEGIN { print b / r }')
  rm -f "$fifo.in" "$fifo.out"
  mkfifo "$fifo.in" "$fifo.out"
  while bg_running writer; do
    n=$(cat "$dir/primary")
    psqlp "$(port "$n")" -d app -v ON_ERROR_STOP=1 < "$fifo.in" > "$fifo.out" 2>/dev/null &
    pid=$!
    exec 3> "$fifo.in" 4< "$fifo.out"
    while bg_running writer; do
      printf 'INSERT INTO demo (id) SELECT g FROM generate_series(%d, %d) g ON CONFLICT DO NOTHING;\n\\echo ok %d\n' \
        $id $((id + batch - 1)) $id >&3 2>/dev/null || break
      read -r -t 10 line <&4 && [ "$line" = "ok $id" ] || break
      id=$((id + batch))
      sleep "$pause"
    done
    exec 3>&- 4<&-
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    bg_running writer && sleep 0.2 # no primary right now
  done
  return 0
}
# The test_decoding consumer: every 0.5 s, the changes of slot `audit` on
# the current primary, appended to $dir/audit.rows as "id<TAB>src".
read_audit() {
  local n; n=$(cat "$dir/primary")
  sql "$n" "SELECT data FROM pg_logical_slot_get_changes('audit', NULL, NULL)" 2>/dev/null |
    sed -n 's/.*INSERT: id\[bigint\]:\([0-9]*\) .* src\[integer\]:\([0-9]*\).*/\1\t\2/p' >> "$dir/audit.rows" || true
}
audit_loop() {
  local i=0
  while bg_running audit; do read_audit; echo $((i += 1)) > "$dir/bg/audit.iter"; sleep "${audit_interval:-0.5}"; done
}
# audit_settle: waits until the audit loop has finished two more reads, so
# that what its slot confirmed is in $dir/audit.rows.
audit_settle() {
  local i0 until=$((SECONDS + 30))
  i0=$(cat "$dir/bg/audit.iter" 2>/dev/null || echo 0)
  while [ "$(cat "$dir/bg/audit.iter" 2>/dev/null || echo 0)" -lt $((i0 + 2)) ] && [ $SECONDS -lt $until ]; do sleep 0.1; done
}
# The writer and the audit reader start, then the wait for the replicas'
# copies to be failover-ready: a copy is proven once the replica's feedback
# catalog_xmin, the oldest of all its slots, has caught up with the
# primary's slot (docs/slot-rules.md §2.3.20), so with a consumer that does
# not read yet (audit) and no writes, a copy made on the replica (16+,
# copy_method create) could stay unproven.
drill_load_start() {
  : > "$dir/audit.rows"
  bg_start writer writer_loop
  bg_start audit audit_loop
  drill_copies_ready
}
# drill_copies_ready: waits for the copies on every replica (every node but
# the current primary) to be failover-ready.
drill_copies_ready() {
  local n
  [ "$noslotd" = 0 ] || return 0
  for n in "${nodes[@]}"; do
    [ "$n" != "$(cat "$dir/primary")" ] || continue
    wait_for 60 "the copies on $n to be failover-ready" ready "$n" || return 1
    say "$n: slots copied and failover-ready"
  done
}
drill_load_stop() { bg_stop writer; bg_stop audit; }

# ------------------------------------------------------- HA manager steps
# The position a replica has received (or replayed, when it is higher).
wal_end() { sql "$1" "SELECT greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"; }
replayed_past() { [ "$(sql "$1" "SELECT pg_last_wal_replay_lsn() > '$2'::pg_lsn")" = t ]; }
best_candidate() { # the replica among $@ that has the most WAL (promotion replays all of it); ties: the first
  local best="" best_lsn="0/0" n l
  for n in "$@"; do
    l=$(wal_end "$n" 2>/dev/null) || continue
    [ -n "$l" ] || continue
    if [ -z "$best" ] || [ "$(sql "$n" "SELECT '$l'::pg_lsn > '$best_lsn'::pg_lsn")" = t ]; then best=$n; best_lsn=$l; fi
  done
  echo "$best"
}

follow() { # follow NODE LEADER: re-point a replica and restart it
  local n=$1 leader=$2 conf="$dir/cluster/$1/postgresql.auto.conf"
  if [ "$noslotd" = 1 ]; then
    sql "$leader" "SELECT pg_create_physical_replication_slot('$n', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$n')" >/dev/null
  fi
  pg_stop "$n" || { say "could not stop $n"; return 1; }
  as_pg sed -i '/^primary_conninfo/d;/^primary_slot_name/d' "$conf"
  echo "primary_conninfo = 'host=127.0.0.1 port=$(port "$leader") user=postgres application_name=$n'" | as_pg tee -a "$conf" >/dev/null
  echo "primary_slot_name = '$n'" | as_pg tee -a "$conf" >/dev/null
  as_pg touch "$dir/cluster/$n/standby.signal"
  pg_start "$n" || { say "could not start $n as a replica of $leader (see $dir/cluster/$n.log)"; return 1; }
}

# rejoin OLD LEADER: the former primary comes back as a replica, after
# pg_rewind (or, where the binaries have none, as a new copy of the leader,
# see clone). pg_rewind needs the new primary's first checkpoint (it reads
# the timeline from pg_control), and a killed postmaster must be gone before
# the data directory can be recovered. It copies the source's configuration
# files: the node keeps its own.
rejoin() {
  local old=$1 leader=$2 killed=${3:-}
  local saved="$dir/cluster/$old.conf-saved"
  sql "$leader" "CHECKPOINT" || return 1
  if [ -n "$killed" ]; then
    wait_for 20 "the killed postmaster of $old to be reaped" bash -c "[ ! -e /proc/$killed ]" || return 1
  fi
  as_pg mkdir -p "$saved"
  as_pg cp "$dir/cluster/$old/postgresql.conf" "$dir/cluster/$old/postgresql.auto.conf" "$saved/"
  local rc=0
  if [ -x "$pgbin/pg_rewind" ]; then
    as_pg "$pgbin/pg_rewind" -D "$dir/cluster/$old" --source-server="host=127.0.0.1 port=$(port "$leader") user=postgres dbname=postgres" >> "$dir/rewind-$old.log" 2>&1 || rc=$?
  else
    # No pg_rewind with these binaries: a new copy of the leader instead,
    # without the slots the old primary had (its agent copies them again).
    say "no pg_rewind in $pgbin: $old becomes a new copy of $leader"
    if [ "$noslotd" = 1 ]; then
      sql "$leader" "SELECT pg_create_physical_replication_slot('$old', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$old')" >/dev/null
    fi
    as_pg rm -rf "${dir:?}/cluster/${old:?}"
    clone "$old" "$leader" >> "$dir/rewind-$old.log" 2>&1 || rc=$?
  fi
  as_pg cp "$saved/postgresql.conf" "$saved/postgresql.auto.conf" "$dir/cluster/$old/"
  if [ $rc != 0 ]; then
    say "the rejoin of $old failed:"
    tail -5 "$dir/rewind-$old.log" | sed 's/^/    /'
  fi
  follow "$old" "$leader" || return 1
  return $rc
}

# promote CANDIDATE OLD_PRIMARY OTHER [KILLED_PID] [HANDOVER]: the HA
# manager's promotion: slotctl promote (final advance of the copies; with
# HANDOVER=1, a switchover, to the old primary's final positions: promote
# --from), pg_ctl promote, the consumer re-pointed, the others demoted and
# following, the old primary rewound (or copied anew). $promote_reply keeps slotd's answer.
promote() {
  local cand=$1 old=$2 other=$3 killed=${4:-} handover=${5:-0} t0 s from=()
  t0=$(date +%s.%N)
  promote_reply=""
  if [ "$noslotd" = 0 ]; then
    [ "$handover" = 1 ] && from=(--from "$old")
    say "slotctl promote${from:+ ${from[*]}} on $cand (final advance of its slot copies)"
    # The reply goes to a file, not through $(...): a drill_tick in a
    # subshell could not start an agent again for good.
    ctl_retry 60 "$cand" promote --timeout 30s "${from[@]}" > "$dir/promote.json" || say "slotctl promote on $cand failed: promoting anyway"
    promote_reply=$(cat "$dir/promote.json")
    sed 's/^/    /' "$dir/promote.json"
  fi
  as_pg "$pgbin/pg_ctl" -D "$dir/cluster/$cand" -w promote >/dev/null || { say "pg_ctl promote of $cand failed"; return 1; }
  echo "$cand" > "$dir/primary"
  if [ "$noslotd" = 1 ]; then
    say "creating the slots on $cand after its promotion (no slotd)"
    for s in cdc:pgoutput audit:test_decoding; do
      # A stale slot left from this node's own time as primary goes first.
      sql "$cand" "SELECT pg_drop_replication_slot('${s%%:*}') FROM pg_replication_slots WHERE slot_name = '${s%%:*}'" >/dev/null
      sql "$cand" "SELECT pg_create_logical_replication_slot('${s%%:*}', '${s#*:}')" >/dev/null
    done
  fi
  say "$cand promoted in $(elapsed "$t0") s; re-pointing the subscription"
  csql "ALTER SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port=$(port "$cand") dbname=app user=postgres'" || return 1
  if [ "$noslotd" = 0 ]; then
    ctl_retry 60 "$other" demote --leader "$cand" >/dev/null || return 1
    ctl_retry 60 "$old" demote --leader "$cand" >/dev/null || return 1
  fi
  follow "$other" "$cand" || return 1
  rejoin "$old" "$cand" "$killed"
}

# switchover OLD CANDIDATE OTHER: stop the primary first, wait until the
# candidate replayed its shutdown checkpoint, then promote (promoting first
# would let writes land on two primaries).
switchover() {
  local old=$1 cand=$2 other=$3 ckpt
  say "switchover: $old -> $cand"
  pg_stop "$old" || { say "could not stop $old"; return 1; }
  ckpt=$(latest_checkpoint "$dir/cluster/$old") || { say "$old did not shut down cleanly: no switchover"; return 1; }
  wait_for 30 "$cand to replay $old's shutdown checkpoint $ckpt" replayed_past "$cand" "$ckpt" || return 1
  promote "$cand" "$old" "$other" "" 1
}

# crash_failover OLD: kill -9 of the primary's postmaster; the replica with
# the most WAL is promoted. Sets $failover_to.
crash_failover() {
  local old=$1 pid others=() n
  for n in "${nodes[@]}"; do [ "$n" = "$old" ] || others+=("$n"); done
  pid=$(head -1 "$dir/cluster/$old/postmaster.pid")
  say "crash failover: kill -9 of $old's postmaster ($pid)"
  kill -9 "$pid"
  sleep 1
  # In random order: a tie (the usual case) does not always go to the same node.
  [ $((RANDOM % 2)) = 0 ] || others=("${others[1]}" "${others[0]}")
  failover_to=""
  if [ "$noslotd" = 0 ]; then
    # slotd's verdicts, every member asked at once (the old primary's agent
    # still answers: it is listed as the leader, not as a candidate).
    if ctl "${others[0]}" candidates > "$dir/candidates.txt"; then
      failover_to=$(sed -n 's/^choose: //p' "$dir/candidates.txt")
      sed 's/^/    /' "$dir/candidates.txt"
    else
      sed 's/^/    /' "$dir/candidates.txt"
      say "no candidate loses nothing: taking the one with the most WAL"
    fi
  fi
  [ -n "$failover_to" ] || failover_to=$(best_candidate "${others[@]}")
  [ -n "$failover_to" ] || { say "no candidate answers"; return 1; }
  local other=${others[0]}
  [ "$other" = "$failover_to" ] && other=${others[1]}
  say "candidate: $failover_to"
  promote "$failover_to" "$old" "$other" "$pid"
}

# ---------------------------------------------------------------- counting
# drill_snapshot: the current primary's highest id and WAL position
# ($snap_max, $snap_lsn); drill_catch_up SECONDS waits until both consumers
# confirmed that position (false if not within SECONDS).
drill_snapshot() {
  local r
  r=$(sql "$(cat "$dir/primary")" "SELECT coalesce(max(id), 0) || ' ' || pg_current_wal_lsn() FROM demo") || return 1
  snap_max=${r% *} snap_lsn=${r#* }
}
consumers_confirmed() {
  [ "$(sql "$(cat "$dir/primary")" "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('cdc', 'audit') AND confirmed_flush_lsn >= '$1'")" = 2 ]
}
drill_catch_up() { wait_for "$1" "the consumers to confirm $snap_lsn" consumers_confirmed "$snap_lsn"; }

# count_rows FILE_WRITTEN FILE_RECEIVED MAX: "received lost duplicated extra"
# over the rows with id <= MAX; rows are "id<TAB>src". Lost rows go to
# FILE_RECEIVED.lost.
count_rows() {
  awk -F'\t' -v max="$3" -v lostf="$2.lost" '
    FNR == NR { w[$1 FS $2] = 1; next }
    $1 <= max { k = $1 FS $2; if (k in c) dup++; else { c[k] = 1; r++; if (!(k in w)) extra++ } }
    END { for (k in w) if (!(k in c)) { lost++; print k > lostf }
          printf "%d %d %d %d\n", r, lost, dup, extra }' "$1" "$2"
}
# drill_count [MAX]: rows written on the current primary (id <= MAX), and
# per consumer rows received, lost, duplicated and extra (rows of a timeline
# that a crash cut off). Sets written, sub_* and audit_*.
drill_count() {
  local max=${1:-$snap_max} p; p=$(cat "$dir/primary")
  sql "$p" "COPY (SELECT id, src FROM demo WHERE id <= $max) TO STDOUT" > "$dir/written.rows" || return 1
  csql "COPY (SELECT id, src FROM demo WHERE id <= $max) TO STDOUT" > "$dir/sub.rows" || return 1
  # Whole lines only: the audit loop may be appending.
  cp "$dir/audit.rows" "$dir/audit.snap"
  [ -z "$(tail -c1 "$dir/audit.snap")" ] || sed -i '$d' "$dir/audit.snap"
  written=$(wc -l < "$dir/written.rows")
  read -r sub_received sub_lost sub_dup sub_extra < <(count_rows "$dir/written.rows" "$dir/sub.rows" "$max")
  read -r audit_received audit_lost audit_dup audit_extra < <(count_rows "$dir/written.rows" "$dir/audit.snap" "$max")
}
# The copies the agents made, from their logs (which outlive agent and
# server restarts): by file (each stops and starts the replica) and created
# in place (16+, no restart). Sets file_copies and created_copies.
drill_copy_counts() {
  file_copies=$(cat "$dir"/slotd-*.log 2>/dev/null | grep -c "copying logical slot(s) .* from leader" || true)
  created_copies=$(cat "$dir"/slotd-*.log 2>/dev/null | grep -c "creating logical slot .* on this replica.*no restart" || true)
}
# The server major of the drill's cluster.
drill_major() { cat "$dir/cluster/$(cat "$dir/primary")/PG_VERSION"; }
drill_print_counts() {
  printf '%-26s %12s %12s\n' "" "pgoutput sub" "test_decoding"
  printf '%-26s %12s %12s\n' "rows written (final primary)" "$written" "$written"
  printf '%-26s %12s %12s\n' "rows received" "$sub_received" "$audit_received"
  printf '%-26s %12s %12s\n' "lost" "$sub_lost" "$audit_lost"
  printf '%-26s %12s %12s\n' "duplicated" "$sub_dup" "$audit_dup"
  printf '%-26s %12s %12s\n' "extra (lost timeline)" "$sub_extra" "$audit_extra"
}
