# Throwaway PostgreSQL servers for scripts (source this file).
#   pgtmp_start NAME      -> starts a server in $PGTMP_DIR/NAME on a free port; sets PGTMP_PORT_<NAME>
#   pgtmp_stop_all        -> stops every server started here (also on EXIT via trap)
# The servers run as the postgres OS user when we are root (initdb refuses root).
PGTMP_DIR=${PGTMP_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dbmig-demo.XXXXXX")}
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PGTMP_SERVERS=()

pgtmp_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgtmp_free_port() {
  local p
  for p in $(seq "${1:-55500}" 65000); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

pgtmp_start() {
  local name=$1 dir="$PGTMP_DIR/$1" port
  port=$(pgtmp_free_port "${2:-55500}")
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && { chmod 755 "$PGTMP_DIR"; chown postgres "$dir"; }
  pgtmp_as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  pgtmp_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' -c wal_level=logical -c max_wal_size=2GB -c shared_buffers=256MB" \
    start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
  PGTMP_SERVERS+=("$dir")
  printf -v "PGTMP_PORT_$name" '%s' "$port"
}

pgtmp_stop_all() {
  local d
  for d in "${PGTMP_SERVERS[@]}"; do
    pgtmp_as_pg "$PGBIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
  done
  PGTMP_SERVERS=()
  [ -n "${PGTMP_KEEP:-}" ] || rm -rf -- "$PGTMP_DIR"
}
