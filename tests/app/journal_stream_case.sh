#!/bin/sh
# journal_stream_case.sh SLOTD
# Runs slotd for a few seconds three times, against a server that is not
# there (so that it logs info and warning lines), with stderr to a file:
#   1. text logs, JOURNAL_STREAM naming that file (systemd's journal
#      stream): every line must start with its syslog priority, "<6>info",
#      "<4>warning" (each line of a message of several lines), and carry no
#      time stamp;
#   2. the same with JOURNAL_STREAM naming another file: time-stamped lines,
#      no priority prefix;
#   3. JSON logs to the journal: "<N>{...}" lines.
# Prints "journal: N passed, N failed"; exit 1 when a check failed.
set -u
slotd=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slotd-journal.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir "$tmp/data" && echo 15 > "$tmp/data/PG_VERSION"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAILED: $1"; sed 's/^/    /' "$2" | head -5; }

run() { # run FORMAT JOURNAL(same|other) OUT
  printf 'name: node1\npostgresql:\n  conninfo: "host=127.0.0.1 port=%s user=postgres dbname=postgres connect_timeout=1"\n  data_dir: %s\napi:\n  listen: 127.0.0.1:%s\nlog:\n  format: %s\n' \
    "$closed" "$tmp/data" "$port" "$1" > "$tmp/slotd.yaml"
  chmod 644 "$tmp/slotd.yaml"
  : > "$3"; : > "$tmp/other"
  target=$3
  [ "$2" = same ] || target=$tmp/other
  js=$(stat -c '%d:%i' "$target")
  if [ "$(id -u)" = 0 ]; then
    JOURNAL_STREAM=$js timeout -s TERM 3 setpriv --reuid=postgres --regid=postgres --init-groups "$slotd" -c "$tmp/slotd.yaml" 2>> "$3"
  else
    JOURNAL_STREAM=$js timeout -s TERM 3 "$slotd" -c "$tmp/slotd.yaml" 2>> "$3"
  fi
}

run text same "$tmp/journal.txt"
if [ -s "$tmp/journal.txt" ] && ! grep -qvE '^<[2-7]>' "$tmp/journal.txt" &&
   ! grep -vE '^<[2-7]>[[:space:]]' "$tmp/journal.txt" | grep -qvE '^<[2-7]>(critical|error|warning|info|debug|trace) \[[a-z]+\] '; then
  ok "text to the journal: every line starts with <priority>level [logger]"
else bad "text to the journal: a line without its priority" "$tmp/journal.txt"; fi
grep -qE '^<6>info \[slotd\] slotd .* starting' "$tmp/journal.txt" && ok "the start is <6>info" ||
  bad "no <6>info start line" "$tmp/journal.txt"
grep -qE '^<4>warning ' "$tmp/journal.txt" && ok "the unreachable server is <4>warning" ||
  bad "no <4>warning line" "$tmp/journal.txt"
grep -qE '^<4>[[:space:]]+Is the server running' "$tmp/journal.txt" && ok "a message's second line keeps its priority" ||
  bad "no <4> on libpq's hint line" "$tmp/journal.txt"
grep -qE '^<[0-9]>[0-9]{4}-' "$tmp/journal.txt" && bad "a time stamp in journal lines" "$tmp/journal.txt" ||
  ok "no time stamp in journal lines"

run text other "$tmp/plain.txt"
if [ -s "$tmp/plain.txt" ] && ! grep -vE '^[[:space:]]' "$tmp/plain.txt" | grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ '; then
  ok "stderr not the journal: time-stamped lines, no prefix"
else bad "stderr not the journal: unexpected lines" "$tmp/plain.txt"; fi

run json same "$tmp/journal.json"
if [ -s "$tmp/journal.json" ] && ! grep -qvE '^<[2-7]>\{"' "$tmp/journal.json"; then
  ok "JSON to the journal: <priority>{...} lines"
else bad "JSON to the journal: a line without its priority" "$tmp/journal.json"; fi
grep -qE '^<4>\{.*"level":"warning"' "$tmp/journal.json" && ok "a JSON warning is <4>" ||
  bad "no <4> JSON warning" "$tmp/journal.json"

echo "journal: $passed passed, $failed failed"
[ "$failed" = 0 ]
