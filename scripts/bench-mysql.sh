#!/usr/bin/env bash
# make bench-mysql: MariaDB -> PostgreSQL on the dataset of ../shared/bench, in one run:
#   select     mariadb --quick 'SELECT *' of every table > /dev/null (the read floor)
#   extract    dbextract mysql://… > /dev/null
#   dbmig      dbextract mysql://… | dbconvert --to postgres | dbload --create (data, keys,
#              indexes, FKs, ANALYZE)
#   pgloader   pgloader with its defaults
#   pgloader-tuned  pgloader --dynamic-space-size 4096 with the tuning of its MySQL docs
#              (workers 4, concurrency 2, multiple readers per thread, rows per range 250000)
# Every target is checked against the MariaDB source with the rig's per-table summary
# (counts, NULL counts, sums) and the first 20000 rows of events compared as text.
#
# Environment: SCALE (1), JOBS (2), BENCH_DIR (../shared/bench), BENCH_TMP (lib.sh's default),
# STEPS (default: "select extract dbmig pgloader pgloader-tuned").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH_DIR/lib.sh" ] || { echo "bench: no rig at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
. "$BENCH_DIR/lib.sh"
SCALE=${SCALE:-1}
JOBS=${JOBS:-2}
STEPS=${STEPS:-select extract dbmig pgloader pgloader-tuned}
DB=bench
BIN=$ROOT/bin
OUT=$ROOT/.bench
mkdir -p "$OUT"
RESULTS=$OUT/results-mysql.tsv
TABLES=(events order_items orders audit_log customers products settings countries)

need_pkgs=()
command -v pgloader >/dev/null || need_pkgs+=(pgloader)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need_pkgs[@]}" >/dev/null
fi

# ------------------------------------------------------------ dataset
pg_start tgt >/dev/null
my_start >/dev/null
if ! myq "$DB" -N -B -e "SELECT 1 FROM events LIMIT 1" 2>/dev/null | grep -q 1 \
   || [ "$(cat "$BENCH_TMP/dataset-my-$DB.scale" 2>/dev/null)" != "$SCALE" ]; then
  log "generating the MariaDB dataset (SCALE=$SCALE, a few minutes)"
  SCALE=$SCALE "$BENCH_DIR/gen.sh" my
  echo "$SCALE" >"$BENCH_TMP/dataset-my-$DB.scale"
fi
SRC="mysql://$MY_USER@127.0.0.1:$MY_PORT/$DB"
PGLOADER_SRC="mysql://$MY_USER:$MY_PASS@127.0.0.1:$MY_PORT/$DB"
ROWS=$(myq "$DB" -N -B -e "SELECT $(printf "(SELECT count(*) FROM %s)+" "${TABLES[@]}")0")
SRC_BYTES=$(myq "" -N -B -e "SELECT sum(data_length+index_length) FROM information_schema.tables WHERE table_schema='$DB'")
log "dataset: $ROWS rows, $((SRC_BYTES / 1000000)) MB (data+indexes)"

SUMMARY_SQL=$(sed -n '/^SUMMARY_SQL="/,/"$/p' "$BENCH_DIR/gen.sh" | sed '1s/^SUMMARY_SQL="//; $s/"$//')
SRC_SUM=$(myq "$DB" -N -B -e "$SUMMARY_SQL" | tr '\t' ' ' | sort)
# A row-by-row spot check of the wide table: an md5 over each row's text in both engines'
# renderings made equal (hex of bytes, booleans as 0/1, NULL as N). JSON is left to the
# summary's counts: jsonb reorders keys.
EVENTS_MY="SELECT md5(group_concat(h ORDER BY id SEPARATOR '')) FROM (SELECT id, md5(concat_ws('|', id, coalesce(amount,'N'), score, kind, label, coalesce(payload,'N'), DATE_FORMAT(created_at,'%Y-%m-%d %H:%i:%s.%f'), event_date, is_processed, coalesce(hex(raw),'N'), uid)) h FROM events ORDER BY id LIMIT 20000) x"
EVENTS_PG="SELECT md5(string_agg(h, '' ORDER BY id)) FROM (SELECT id, md5(concat_ws('|', id, coalesce(amount::text,'N'), score, kind, label, coalesce(payload,'N'), to_char(created_at,'YYYY-MM-DD HH24:MI:SS.US'), event_date, CASE WHEN is_processed THEN 1 ELSE 0 END, coalesce(upper(encode(raw,'hex')),'N'), uid)) h FROM events ORDER BY id LIMIT 20000) x"

fresh_db() {
  pgq tgt postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  pgq tgt postgres -c CHECKPOINT >/dev/null; sync; sleep 1
}

verify() {   # verify PGDB -> "match" or "DIFFERS ..." (details on stderr)
  local got
  got=$(PGOPTIONS="-c search_path=$DB" pgq tgt "$1" -At -F ' ' -c "$SUMMARY_SQL" 2>&1 | sort)
  if [ "$got" != "$SRC_SUM" ]; then diff <(echo "$SRC_SUM") <(echo "$got") >&2 || true; echo "DIFFERS (summary)"; return; fi
  local a b
  a=$(myq "$DB" -N -B -e "SET SESSION group_concat_max_len = 16777216; $EVENTS_MY")
  b=$(PGOPTIONS="-c search_path=$DB" pgq tgt "$1" -At -c "$EVENTS_PG")
  if [ "$a" != "$b" ]; then echo "summary match; first 20000 events rows differ ($a vs $b)"; return; fi
  echo match
}

[ -s "$RESULTS" ] || printf 'run_at\tscale\tstep\twall_s\tMB_s\trows_s\tpeak_rss_MB\tcheck\tnotes\n' >"$RESULTS"
declare -A WALL RSS CHECK
record() {   # record STEP WALL RSS CHECK NOTES
  printf '%s\t%s\t%s\t%s\t%.1f\t%.0f\t%s\t%s\t%s\n' "$(date '+%F %H:%M')" "$SCALE" "$1" "$2" \
    "$(awk "BEGIN{print $SRC_BYTES/1e6/$2}")" "$(awk "BEGIN{print $ROWS/$2}")" "$3" "$4" "$5" >>"$RESULTS"
}
timed() { local t0 t1 rc=0; t0=$(date +%s.%N); bash -c "set -o pipefail; $1" || rc=$?; t1=$(date +%s.%N); T=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}"); return $rc; }
rss() { tail -1 "$1" 2>/dev/null | awk '{printf "%.0f", $1/1024}' || echo -; }   # GNU time may print an exit-status line first
maxrss() { local m=0 v; for f in "$@"; do v=$(rss "$f"); [ "$v" != - ] && [ "$v" -gt "$m" ] && m=$v; done; echo "$m"; }
TIME="/usr/bin/time -f %M"

# pgloader's readers wait on its writers; past MariaDB's default net_write_timeout (60 s)
# the server drops such a connection ("Connection reset by peer" in pgloader).
myq "" -e "SET GLOBAL net_write_timeout = 3600, GLOBAL net_read_timeout = 3600"

for step in $STEPS; do
  case $step in
  select)
    timed "for t in ${TABLES[*]}; do mariadb --no-defaults --default-character-set=utf8mb4 --quick -B -h 127.0.0.1 -P $MY_PORT -u$MY_USER -p$MY_PASS -D $DB -e \"SELECT * FROM \$t\" || exit 1; done >/dev/null"
    WALL[select]=$T; CHECK[select]=-; log "SELECT * of every table: $T s"
    record select "$T" - - "mariadb --quick -B, 1 session, tables in sequence"
    ;;
  extract)
    timed "MYSQL_PWD=$MY_PASS $TIME -o $OUT/rss.a $BIN/dbextract '$SRC' -j $JOBS --compression none --log-level warn --progress never >/dev/null"
    WALL[extract]=$T; RSS[extract]=$(rss "$OUT/rss.a"); CHECK[extract]=-; log "dbextract > /dev/null: $T s"
    record extract "$T" "${RSS[extract]}" - "dbextract -j $JOBS --compression none > /dev/null"
    ;;
  dbmig)
    fresh_db b_my_dbmig
    timed "MYSQL_PWD=$MY_PASS $TIME -o $OUT/rss.a $BIN/dbextract '$SRC' -j $JOBS --compression none --log-level warn --progress never \
      | $TIME -o $OUT/rss.b $BIN/dbconvert --to postgres --tinyint1-as-bool --compression none --log-level warn \
      | $TIME -o $OUT/rss.c $BIN/dbload '$(pg_uri tgt b_my_dbmig)' --create -j $JOBS --log-level warn --progress never"
    WALL[dbmig]=$T; RSS[dbmig]=$(maxrss "$OUT/rss.a" "$OUT/rss.b" "$OUT/rss.c"); CHECK[dbmig]=$(verify b_my_dbmig)
    log "dbextract | dbconvert | dbload --create: $T s (RSS extract/convert/load $(rss "$OUT/rss.a")/$(rss "$OUT/rss.b")/$(rss "$OUT/rss.c") MB)"
    record dbmig "$T" "${RSS[dbmig]}" "${CHECK[dbmig]}" "dbextract | dbconvert --to postgres --tinyint1-as-bool | dbload --create, --compression none, -j $JOBS; RSS per process $(rss "$OUT/rss.a")/$(rss "$OUT/rss.b")/$(rss "$OUT/rss.c")"
    PGOPTIONS="-c search_path=$DB" pgq tgt b_my_dbmig -At -F $'\t' -c "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema='$DB' ORDER BY 1, 2" >"$OUT/dbmig-mysql-types.tsv"
    ;;
  pgloader)
    fresh_db b_my_pgloader
    rm -rf "$BENCH_TMP/scratch/pgloader"
    if timed "$TIME -o $OUT/rss.a pgloader --root-dir $BENCH_TMP/scratch/pgloader '$PGLOADER_SRC' '$(pg_uri tgt b_my_pgloader)' </dev/null >$OUT/pgloader.log 2>&1"; then
      CHECK[pgloader]=$(verify b_my_pgloader)
    else
      CHECK[pgloader]="FAILED: $(grep -m1 -o 'Heap exhausted\|Connection reset by peer\|ERROR.*' $OUT/pgloader.log | head -c 120) (see $OUT/pgloader.log)"
    fi
    WALL[pgloader]=$T; RSS[pgloader]=$(rss "$OUT/rss.a"); log "pgloader defaults: $T s, ${CHECK[pgloader]}"
    record pgloader "$T" "${RSS[pgloader]}" "${CHECK[pgloader]}" "pgloader defaults"
    ;;
  pgloader-tuned)
    fresh_db b_my_pgloader_t
    rm -rf "$BENCH_TMP/scratch/pgloader"
    cat >"$OUT/pgloader-tuned.load" <<LOAD
LOAD DATABASE
  FROM $PGLOADER_SRC
  INTO $(pg_uri tgt b_my_pgloader_t)
  WITH include drop, create tables, create indexes, reset sequences, foreign keys,
       workers = 4, concurrency = 2, multiple readers per thread, rows per range = 250000
  SET PostgreSQL PARAMETERS maintenance_work_mem to '256MB';
LOAD
    if timed "$TIME -o $OUT/rss.a pgloader --dynamic-space-size 4096 --root-dir $BENCH_TMP/scratch/pgloader $OUT/pgloader-tuned.load </dev/null >$OUT/pgloader-tuned.log 2>&1"; then
      CHECK[pgloader-tuned]=$(verify b_my_pgloader_t)
    else
      CHECK[pgloader-tuned]="FAILED: $(grep -m1 -o 'Heap exhausted\|Connection reset by peer\|ERROR.*' $OUT/pgloader-tuned.log | head -c 120) (see $OUT/pgloader-tuned.log)"
    fi
    WALL[pgloader-tuned]=$T; RSS[pgloader-tuned]=$(rss "$OUT/rss.a"); log "pgloader tuned: $T s, ${CHECK[pgloader-tuned]}"
    record pgloader-tuned "$T" "${RSS[pgloader-tuned]}" "${CHECK[pgloader-tuned]}" "pgloader --dynamic-space-size 4096, workers 4, concurrency 2, multiple readers per thread, rows per range 250000"
    ;;
  *) echo "bench: unknown step $step" >&2; exit 2;;
  esac
done

mbs() { awk "BEGIN{printf \"%.0f\", $SRC_BYTES/1e6/$1}"; }
rps() { awk "BEGIN{printf \"%.0f\", $ROWS/$1/1000}"; }
echo
echo "## make bench-mysql — MariaDB → PostgreSQL, SCALE=$SCALE ($ROWS rows, $((SRC_BYTES / 1000000)) MB), $(nproc) cores, -j $JOBS, $(date '+%F %H:%M')"
echo
echo "| step | wall s | MB/s | k rows/s | pgloader defaults ÷ step | pgloader tuned ÷ step | peak RSS MB (largest process) | target = source |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
ratio_to() {   # ratio_to PEER STEP: PEER's wall ÷ STEP's, only when PEER's copy matched
  [ -n "${WALL[$1]:-}" ] && [ "${CHECK[$1]:-}" = match ] && awk "BEGIN{printf \"%.2fx\", ${WALL[$1]}/${WALL[$2]}}" || echo -
}
for s in select extract dbmig pgloader pgloader-tuned; do
  [ -n "${WALL[$s]:-}" ] || continue
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "${WALL[$s]}" "$(mbs "${WALL[$s]}")" "$(rps "${WALL[$s]}")" \
    "$(ratio_to pgloader "$s")" "$(ratio_to pgloader-tuned "$s")" "${RSS[$s]:--}" "${CHECK[$s]}"
done
echo
if [ -n "${WALL[dbmig]:-}" ] && [ -n "${WALL[pgloader]:-}" ] && [ "${CHECK[pgloader]}" = match ]; then
  r=$(awk "BEGIN{print ${WALL[pgloader]}/${WALL[dbmig]}}")
  printf -- '- ≥ 3× pgloader defaults: %s\n' "$(awk "BEGIN{printf \"%.2f× — %s\", $r, ($r >= 3) ? \"PASS\" : \"FAIL\"}")"
elif [ -n "${CHECK[pgloader]:-}" ]; then
  printf -- '- ≥ 3× pgloader defaults: no figure, pgloader with its defaults did not finish (%s)\n' "${CHECK[pgloader]}"
fi
if [ -n "${WALL[dbmig]:-}" ] && [ "${CHECK[pgloader-tuned]:-}" = match ]; then
  printf -- '- against pgloader tuned (4 GB heap): %s\n' "$(ratio_to pgloader-tuned dbmig)"
fi
[ -n "${RSS[dbmig]:-}" ] && printf -- '- peak RSS of each dbmig process ≤ 256 MB: %s MB — %s\n' "${RSS[dbmig]}" "$([ "${RSS[dbmig]}" -le 256 ] && echo PASS || echo FAIL)"
echo
echo "results appended to $RESULTS; column types chosen by dbmig in $OUT/dbmig-mysql-types.tsv"
