#!/bin/sh
# slotd_config_case.sh SLOTD SOURCE_DIR CASE [SLOTD OPTIONS...]
# Writes the configuration of CASE into a fresh temporary directory, runs
# SLOTD OPTIONS -c FILE, prints its output (stdout and stderr) and "exit=N",
# then removes the directory. The ctest entries match that output.
#
# CASE:
#   example             config/example.yaml with its data_dir replaced by a
#                       directory that has PG_VERSION (the example's own
#                       /var/lib/postgresql/15/main need not exist here)
#   missing_data_dir    data_dir does not exist
#   no_pg_version       data_dir exists, without PG_VERSION
#   missing_token_file  data_dir is fine, api.token_file does not exist
# In the last three the data_dir value is at 3:13, the token file's at 5:15.
set -u
slotd=$1 src=$2 case=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slotd-config-case.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/data" && echo 15 > "$tmp/data/PG_VERSION"
file=$tmp/slotd.yaml
write() { # write DATA_DIR [TOKEN_FILE]
  printf 'name: node1\npostgresql:\n  data_dir: %s\napi:\n  token_file: "%s"\n' "$1" "${2:-}" > "$file"
}
case $case in
example)
  file=$tmp/example.yaml
  sed "s|^  data_dir: /var/lib/postgresql/15/main |  data_dir: $tmp/data |" "$src/config/example.yaml" > "$file"
  if [ "$(grep -c "^  data_dir: $tmp/data " "$file")" != 1 ]; then
    echo "$0: config/example.yaml has no 'data_dir: /var/lib/postgresql/15/main' line to replace"
    exit 99
  fi ;;
missing_data_dir) write "$tmp/nope" ;;
no_pg_version) mkdir "$tmp/empty" && write "$tmp/empty" ;;
missing_token_file) write "$tmp/data" "$tmp/nope.token" ;;
*) echo "$0: unknown case '$case'"; exit 99 ;;
esac
# slotd as root refuses to run after validating: the ctest user owns $tmp,
# so the files are readable either way.
"$slotd" "$@" -c "$file" 2>&1
echo "exit=$?"
