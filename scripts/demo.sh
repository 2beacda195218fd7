#!/usr/bin/env bash
# make demo: a throwaway MariaDB and a throwaway PostgreSQL; a sample shop
# database loaded into MariaDB; an application keeps changing it while
# `dbmigrate migrate` copies it into PostgreSQL (consistent snapshot, then
# change capture from exactly that point); `dbmigrate cutover` fences the
# source and prints the write freeze; `dbmigrate validate` compares every
# table; the report is printed. (make demo-pg does PostgreSQL -> PostgreSQL
# with the single-purpose binaries.)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pgtmp.sh
. scripts/mytmp.sh
trap 'mytmp_stop_all; pgtmp_stop_all' EXIT
BIN=${BIN:-bin}
ROWS=${DEMO_ROWS:-200000}
STATE=$PGTMP_DIR/state

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "starting a throwaway MariaDB and a throwaway PostgreSQL in $PGTMP_DIR"
mytmp_start src 53400
pgtmp_start dst 55500
my() { mariadb --no-defaults --default-character-set=utf8mb4 -h 127.0.0.1 -P "$MYTMP_PORT_src" "$@"; }
my -uroot -e "CREATE DATABASE shop; CREATE USER app@'%' IDENTIFIED BY 'app'; GRANT ALL ON shop.* TO app@'%';"
psql -X -q -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:$PGTMP_PORT_dst/postgres" -c "CREATE DATABASE shop"
SRC="mysql://root@127.0.0.1:$MYTMP_PORT_src/shop"
DST="postgres://postgres@127.0.0.1:$PGTMP_PORT_dst/shop"

say "creating the sample shop database on MariaDB ($ROWS orders)"
{ echo "SET @rows = $ROWS;"; cat scripts/demo-mysql.sql; } | my -uroot shop

say "an application keeps writing to MariaDB (new orders, balance updates, order status changes)"
(
  for i in $(seq 1 1000000); do
    my -uapp -papp shop -e "BEGIN; INSERT INTO orders (customer_id, total, note) VALUES (1 + $i % 5000, $i * 0.5, 'live write $i');
      UPDATE customers SET balance = balance + 1 WHERE id = 1 + ($i * 7) % 5000;
      UPDATE orders SET status = 'paid' WHERE id = 1 + ($i * 13) % $ROWS; COMMIT;" >/dev/null 2>&1 || true
  done
) &
WRITER=$!
trap 'kill $WRITER 2>/dev/null || true; mytmp_stop_all; pgtmp_stop_all' EXIT

say "dbmigrate migrate --source $SRC --target $DST"
"$BIN/dbmigrate" migrate --source "$SRC" --target "$DST" --state "$STATE" --tinyint1-as-bool \
  --progress never --progress-every 2s --log-level warn &
MIGRATE=$!
until "$BIN/dbmigrate" status --state "$STATE" --json 2>/dev/null | grep -q '"phase": *"streaming"'; do
  kill -0 $MIGRATE 2>/dev/null || { say "migrate stopped"; wait $MIGRATE; exit 1; }
  sleep 0.3
done
say "snapshot copied; in sync, the application still writing:"
sleep 5
"$BIN/dbmigrate" status --state "$STATE"

say "dbmigrate cutover --read-only-source --max-lag 1s"
"$BIN/dbmigrate" cutover --state "$STATE" --read-only-source --max-lag 1s --log-level warn
wait $MIGRATE
kill $WRITER 2>/dev/null || true; wait $WRITER 2>/dev/null || true

say "dbmigrate validate"
status=0
"$BIN/dbmigrate" validate --state "$STATE" --log-level warn || status=$?

say "report"
"$BIN/dbmigrate" status --state "$STATE"
live=$(my -uroot shop -N -B -e "SELECT count(*) FROM orders WHERE note LIKE 'live write%'")
printf '\nthe application committed %s orders (each with two updates) during the migration; all carried across\n' "$live"
[ $status = 0 ] && say "all tables match" || say "MISMATCH (validate exit $status)"
exit $status
