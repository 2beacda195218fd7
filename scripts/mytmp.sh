# Throwaway MariaDB servers for scripts (source this file after pgtmp.sh, which sets PGTMP_DIR).
#   mytmp_start NAME [PORT]  -> starts a server in $PGTMP_DIR/NAME on a free port, with the
#                               binlog settings change capture needs; sets MYTMP_PORT_<NAME>
#   mytmp_stop_all           -> stops every server started here (by the PID in its pidfile)
# The servers run as the mysql OS user when we are root.
MYTMP_SERVERS=()

mytmp_start() {
  local name=$1 dir="$PGTMP_DIR/$1" port user=()
  port=$(pgtmp_free_port "${2:-53400}")
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chmod 755 "$PGTMP_DIR"; chown mysql "$dir"; user=(--user=mysql); fi
  mariadb-install-db --no-defaults --datadir="$dir/data" "${user[@]}" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  mariadbd --no-defaults --datadir="$dir/data" "${user[@]}" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --tmpdir="$dir" --log-error="$dir/error.log" \
    --log-bin="$dir/data/binlog" --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL \
    --server-id=1 --character-set-server=utf8mb4 --innodb-buffer-pool-size=256M --local-infile=1 \
    >"$dir/stdout.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    mariadb-admin --no-defaults -S "$dir/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb-admin --no-defaults -S "$dir/mysqld.sock" -uroot ping >/dev/null 2>&1 || { tail -20 "$dir/error.log" >&2; return 1; }
  MYTMP_SERVERS+=("$dir")
  printf -v "MYTMP_PORT_$name" '%s' "$port"
}

mytmp_stop_all() {
  local d pid i
  for d in "${MYTMP_SERVERS[@]}"; do
    pid=$(cat "$d/mysqld.pid" 2>/dev/null) || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  done
  MYTMP_SERVERS=()
}
