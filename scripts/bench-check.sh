#!/usr/bin/env bash
# make bench-check: dbcheck on two copies of the rig's 10 M-row `events` table, in one run:
#   copy      dbextract --tables public.events SRC | dbload --create TGT (the second copy;
#             checked independently: count and hash of every row on both sides)
#   scan      one plain full scan of each side: psql -c "COPY events TO STDOUT" > /dev/null
#             (text, and binary for reference) — the reference for the bar
#   equal     dbcheck --tables public.events SRC TGT, --mode auto (pushdown between two
#             PostgreSQL) and --mode stream; must exit 0
#   onediff   one value changed on the target (UPDATE events SET amount = amount + 0.01 WHERE
#             id = <middle>); dbcheck auto and stream must exit 1 and name that key and column;
#             the value is put back afterwards
#   pgcopydb  pgcopydb compare data, when the installed pgcopydb has it (0.13+)
#   mysql     MariaDB `events` -> dbextract | dbconvert --to postgres --tinyint1-as-bool |
#             dbload --create, then dbcheck mysql://… postgres://… (stream), next to a full
#             read of the MariaDB side (mariadb --quick 'SELECT * FROM events' > /dev/null)
# Peak RSS of every dbcheck by GNU time. The cache is warm (the dataset fits in RAM).
#
# Environment: BENCH_DIR, BENCH_TMP, SCALE (1), STEPS (default "copy scan equal onediff
# pgcopydb mysql").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH_DIR/lib.sh" ] || { echo "bench: no rig at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
. "$BENCH_DIR/lib.sh"
SCALE=${SCALE:-1}
STEPS=${STEPS:-copy scan equal onediff pgcopydb mysql}
DB=bench
TDB=b_check
MYTDB=b_check_my
BIN=$ROOT/bin
OUT=$ROOT/.bench
mkdir -p "$OUT"
RESULTS=$OUT/results-check.tsv
[ -x /usr/bin/time ] || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -q time >/dev/null; }

pg_start src >/dev/null
pg_start tgt >/dev/null
have_scale=$( [ -f "$BENCH_TMP/dataset-$DB.env" ] && . "$BENCH_TMP/dataset-$DB.env" && echo "${SCALE:-}" || true)
if [ "$have_scale" != "$SCALE" ] || ! pgq src "$DB" -Atc "SELECT 1 FROM events LIMIT 1" >/dev/null 2>&1; then
  log "generating the dataset (SCALE=$SCALE, a few minutes)"
  SCALE=$SCALE "$BENCH_DIR/gen.sh" pg
fi
SRC=$(pg_uri src "$DB")
TGT=$(pg_uri tgt "$TDB")
ROWS=$(pgq src "$DB" -Atc "SELECT count(*) FROM events")
BYTES=$(pgq src "$DB" -Atc "SELECT pg_table_size('events')")
PGVER=$(pgq src postgres -Atc "SHOW server_version")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "events: $ROWS rows, $((BYTES / 1000000)) MB (heap + TOAST)"

[ -s "$RESULTS" ] || printf 'run_at\tscale\tstep\twall_s\trows_s\tpeak_rss_MB\texit\tnotes\n' >"$RESULTS"
declare -A WALL RSS RC NOTE
timed() { local t0 t1; t0=$(date +%s.%N); bash -c "set -o pipefail; $1" || true; t1=$(date +%s.%N); T=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}"); }
rss() { awk '/^[0-9]+$/{v=$1} END{if (v) printf "%.0f", v/1024; else print "-"}' "$1" 2>/dev/null || echo -; }
record() {   # record STEP NOTES  (uses WALL, RSS, RC)
  printf '%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\n' "$(date '+%F %H:%M')" "$SCALE" "$1" "${WALL[$1]}" "$(awk "BEGIN{print $ROWS/${WALL[$1]}}")" \
    "${RSS[$1]:--}" "${RC[$1]:--}" "$2" >>"$RESULTS"
  NOTE[$1]=$2
}
CHECK_SQL="SELECT count(*), sum(hashtextextended(x::text, 0)::numeric) FROM events x"

dbcheck_step() {   # dbcheck_step STEP EXPECTED_EXIT A B [flags...]
  local step=$1 want=$2 a=$3 b=$4; shift 4
  local cmd="/usr/bin/time -o $OUT/check-rss -f %M $BIN/dbcheck --tables ${CHECK_TABLES:-public.events} --json --progress never --log-level warn $* '$a' '$b' >$OUT/check-$step.json 2>$OUT/check-$step.log; echo \$? >$OUT/check-rc"
  timed "$cmd"
  WALL[$step]=$T; RSS[$step]=$(rss "$OUT/check-rss"); RC[$step]=$(cat "$OUT/check-rc")
  local ok=ok; [ "${RC[$step]}" = "$want" ] || ok="UNEXPECTED (want exit $want)"
  log "dbcheck $step: $T s, exit ${RC[$step]} $ok, peak RSS ${RSS[$step]} MB"
  [ "$ok" = ok ] || { log "$(head -c 2000 "$OUT/check-$step.log")"; RC[$step]="${RC[$step]} ($ok)"; }
}
# what a report says about events: counts and the differing keys
summary() { jq -c '[.tables[].rows[]? | {kind, key, columns: [.columns[]?.column]}] | .[:3]' "$1" 2>/dev/null || echo "(see $1)"; }

for step in $STEPS; do
  case $step in
  copy)
    pgq tgt postgres -c "DROP DATABASE IF EXISTS $TDB WITH (FORCE)" -c "CREATE DATABASE $TDB" >/dev/null
    timed "/usr/bin/time -o $OUT/check-rss -f %M $BIN/dbextract '$SRC' --tables public.events -j 2 --compression none --log-level warn --progress never \
      | $BIN/dbload '$TGT' --create -j 2 --log-level warn --progress never"
    WALL[copy]=$T; log "copy of events: $T s"
    a=$(pgq src "$DB" -At -F ' ' -c "$CHECK_SQL"); b=$(pgq tgt "$TDB" -At -F ' ' -c "$CHECK_SQL")
    CHECK_COPY=$([ "$a" = "$b" ] && echo match || echo "DIFFERS ($a vs $b)")
    log "target copy: $CHECK_COPY"
    record copy "dbextract --tables public.events | dbload --create, -j 2, --compression none; count+hash check: $CHECK_COPY"
    ;;
  scan)
    for side in src tgt; do
      d=$DB; [ $side = tgt ] && d=$TDB
      timed "psql -X -q -h 127.0.0.1 -p $(pg_port $side) -U postgres -d $d -c 'COPY events TO STDOUT' >/dev/null"
      WALL[scan-$side]=$T; log "COPY events TO STDOUT ($side): $T s"
      record "scan-$side" "psql -c 'COPY events TO STDOUT' > /dev/null (text)"
      timed "psql -X -q -h 127.0.0.1 -p $(pg_port $side) -U postgres -d $d -c 'COPY events TO STDOUT (FORMAT binary)' >/dev/null"
      WALL[scanbin-$side]=$T; log "COPY events TO STDOUT binary ($side): $T s"
      record "scanbin-$side" "psql -c 'COPY events TO STDOUT (FORMAT binary)' > /dev/null"
    done
    ;;
  equal)
    dbcheck_step equal-auto 0 "$SRC" "$TGT"
    record equal-auto "dbcheck (auto), equal tables; mode in report: $(jq -r '[.tables[].mode] | unique | join(",")' "$OUT/check-equal-auto.json" 2>/dev/null)"
    dbcheck_step equal-stream 0 "$SRC" "$TGT" --mode stream
    record equal-stream "dbcheck --mode stream, equal tables"
    ;;
  onediff)
    id=$(( (ROWS + 1) / 2 ))
    old=$(pgq tgt "$TDB" -Atc "SELECT amount FROM events WHERE id = $id")
    pgq tgt "$TDB" -c "UPDATE events SET amount = amount + 0.01 WHERE id = $id" >/dev/null
    log "target: events id $id amount $old -> +0.01 (amount was ${old:-NULL})"
    dbcheck_step diff-auto 1 "$SRC" "$TGT"
    record diff-auto "dbcheck (auto: pushdown), one value differs (id $id); found: $(summary "$OUT/check-diff-auto.json")"
    dbcheck_step diff-stream 1 "$SRC" "$TGT" --mode stream
    record diff-stream "dbcheck --mode stream, one value differs (id $id); found: $(summary "$OUT/check-diff-stream.json")"
    pgq tgt "$TDB" -c "UPDATE events SET amount = amount - 0.01 WHERE id = $id" >/dev/null
    ;;
  pgcopydb)
    if pgcopydb compare data --help >/dev/null 2>&1; then
      timed "/usr/bin/time -o $OUT/check-rss -f %M pgcopydb compare data --source '$SRC' --target '$TGT' --dir $BENCH_TMP/scratch/pgcopydb-compare >$OUT/check-pgcopydb.log 2>&1"
      WALL[pgcopydb]=$T; RSS[pgcopydb]=$(rss "$OUT/check-rss")
      record pgcopydb "pgcopydb compare data"
    else
      NOTE[pgcopydb]="pgcopydb $(pgcopydb --version 2>/dev/null | awk '/^pgcopydb version/{print $3}') has no \`compare\` command (it came in 0.13): not measured"
      log "${NOTE[pgcopydb]}"
    fi
    ;;
  mysql)
    my_start >/dev/null
    if ! myq "$DB" -N -B -e "SELECT 1 FROM events LIMIT 1" 2>/dev/null | grep -q 1; then
      log "no MariaDB dataset: SCALE=$SCALE $BENCH_DIR/gen.sh my"; SCALE=$SCALE "$BENCH_DIR/gen.sh" my
    fi
    MYSRC="mysql://$MY_USER@127.0.0.1:$MY_PORT/$DB"
    pgq tgt postgres -c "DROP DATABASE IF EXISTS $MYTDB WITH (FORCE)" -c "CREATE DATABASE $MYTDB" >/dev/null
    timed "MYSQL_PWD=$MY_PASS $BIN/dbextract '$MYSRC' --tables events -j 2 --compression none --log-level warn --progress never \
      | $BIN/dbconvert --to postgres --tinyint1-as-bool --compression none --log-level warn \
      | $BIN/dbload '$(pg_uri tgt $MYTDB)' --create -j 2 --log-level warn --progress never"
    WALL[mysql-copy]=$T; log "MariaDB events -> PG: $T s"
    record mysql-copy "dbextract mysql | dbconvert --to postgres --tinyint1-as-bool | dbload --create (events only)"
    timed "mariadb --no-defaults --default-character-set=utf8mb4 --quick -B -h 127.0.0.1 -P $MY_PORT -u$MY_USER -p$MY_PASS -D $DB -e 'SELECT * FROM events' >/dev/null"
    WALL[scan-my]=$T; log "mariadb --quick SELECT * FROM events: $T s"
    record scan-my "mariadb --quick -B -e 'SELECT * FROM events' > /dev/null"
    schema=$(pgq tgt "$MYTDB" -Atc "SELECT table_schema FROM information_schema.tables WHERE table_name = 'events' LIMIT 1")
    timed "psql -X -q -h 127.0.0.1 -p $PG_TGT_PORT -U postgres -d $MYTDB -c 'COPY $schema.events TO STDOUT' >/dev/null"
    WALL[scan-mytgt]=$T; record scan-mytgt "psql -c 'COPY $schema.events TO STDOUT' > /dev/null (the migrated copy)"
    MYSQL_PWD=$MY_PASS CHECK_TABLES=events dbcheck_step mysql-equal 0 "$MYSRC" "$(pg_uri tgt $MYTDB)"
    record mysql-equal "MYSQL_PWD=… dbcheck --tables events mysql://… postgres://… (stream), after the migration; mode in report: $(jq -r '[.tables[].mode] | unique | join(",")' "$OUT/check-mysql-equal.json" 2>/dev/null)"
    ;;
  *) echo "bench-check: unknown step $step" >&2; exit 2;;
  esac
done

# ------------------------------------------------------------ report
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
krs() { awk "BEGIN{printf \"%.0f\", $ROWS/$1/1000}"; }
slow=0
for s in scan-src scan-tgt; do [ -n "${WALL[$s]:-}" ] && slow=$(awk "BEGIN{print (${WALL[$s]} > $slow) ? ${WALL[$s]} : $slow}"); done
ratio() { [ "$slow" != 0 ] && awk "BEGIN{printf \"%.2fx\", $1 / $slow}" || echo -; }
echo
echo "## make bench-check — dbcheck on events ($ROWS rows, $((BYTES / 1000000)) MB), PostgreSQL $PGVER, $(nproc) cores, $(date '+%F %H:%M')"
echo
echo "Load average at start $LOAD_START, at end $LOAD_END (1/5/15 min). Warm cache."
echo
echo "| step | wall s | k rows/s | × slower side's text scan | peak RSS MB | exit | what |"
echo "|---|---:|---:|---:|---:|---|---|"
for s in copy scan-src scan-tgt scanbin-src scanbin-tgt equal-auto equal-stream diff-auto diff-stream pgcopydb mysql-copy scan-my scan-mytgt mysql-equal; do
  [ -n "${WALL[$s]:-}" ] || continue
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$s" "${WALL[$s]}" "$(krs "${WALL[$s]}")" "$(ratio "${WALL[$s]}")" "${RSS[$s]:--}" "${RC[$s]:--}" "${NOTE[$s]:-}"
done
[ -n "${NOTE[pgcopydb]:-}" ] && [ -z "${WALL[pgcopydb]:-}" ] && { echo; echo "${NOTE[pgcopydb]}"; }
echo
bar() { printf -- '- %s: %s\n' "$1" "$2"; }
for s in equal-auto equal-stream; do
  [ -n "${WALL[$s]:-}" ] && [ "$slow" != 0 ] || continue
  r=$(awk "BEGIN{print ${WALL[$s]} / $slow}")
  bar "equal tables compared ($s) in ≤ 1.5× the slower side's full scan" "$(awk "BEGIN{printf \"%.2f×\", $r}") — $( [ "${RC[$s]}" = 0 ] && awk "BEGIN{print ($r <= 1.5) ? \"PASS\" : \"FAIL\"}" || echo "FAIL (exit ${RC[$s]})")"
done
for s in diff-auto diff-stream; do
  [ -n "${RC[$s]:-}" ] && bar "one changed value found ($s)" "exit ${RC[$s]}, ${NOTE[$s]##*found: } — $([ "${RC[$s]}" = 1 ] && echo PASS || echo FAIL)"
done
if [ -n "${WALL[mysql-equal]:-}" ]; then
  ms=$(awk "BEGIN{print (${WALL[scan-my]} > ${WALL[scan-mytgt]}) ? ${WALL[scan-my]} : ${WALL[scan-mytgt]}}")
  r=$(awk "BEGIN{print ${WALL[mysql-equal]} / $ms}")
  bar "MariaDB vs PG after migration, equal, in ≤ 1.5× the slower side's full scan (not an issue bar)" "$(awk "BEGIN{printf \"%.2f×\", $r}") — $( [ "${RC[mysql-equal]}" = 0 ] && awk "BEGIN{print ($r <= 1.5) ? \"PASS\" : \"FAIL\"}" || echo "FAIL (exit ${RC[mysql-equal]})")"
fi
maxrss=0
for s in equal-auto equal-stream diff-auto diff-stream mysql-equal; do v=${RSS[$s]:-}; [ -n "$v" ] && [ "$v" != - ] && [ "$v" -gt "$maxrss" ] && maxrss=$v; done
[ "$maxrss" -gt 0 ] && bar "peak RSS of dbcheck ≤ 256 MB" "$maxrss MB — $([ "$maxrss" -le 256 ] && echo PASS || echo FAIL)"
echo
echo "results appended to $RESULTS"
