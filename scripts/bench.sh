#!/usr/bin/env bash
# make bench: PostgreSQL -> PostgreSQL on the dataset of ../shared/bench, in one run:
#   raw     psql COPY (FORMAT binary) | psql COPY, 2 streams, into pre-created tables (the floor)
#   dbmig   dbextract | dbload into the same pre-created tables (data phase), per --compression
#   full    dbextract | dbload --create: tables, data, keys, indexes, FKs, ANALYZE
#   rawfull raw + pg_dump --section=post-data | psql + vacuumdb -z
#   pgcopydb clone --table-jobs 2 --index-jobs 2 (includes VACUUM ANALYZE)
# Every target is checked against the source (count and hash of every row).
#
# Environment: SCALE (1), REPEAT (3: runs of each data-phase step; the median is
# reported), JOBS (2), BENCH_DIR (../shared/bench), BENCH_TMP (lib.sh's default),
# STEPS (default: all of "raw dbmig full rawfull pgcopydb").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH_DIR/lib.sh" ] || { echo "bench: no rig at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
. "$BENCH_DIR/lib.sh"
SCALE=${SCALE:-1}
REPEAT=${REPEAT:-3}
JOBS=${JOBS:-2}
STEPS=${STEPS:-raw dbmig full rawfull pgcopydb}
DB=bench
BIN=$ROOT/bin
OUT=$ROOT/.bench
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
TABLES=(events order_items orders audit_log customers products settings countries)

need_pkgs=()
command -v pgcopydb >/dev/null || need_pkgs+=(pgcopydb)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need_pkgs[@]}" >/dev/null
fi

# ------------------------------------------------------------ dataset
pg_start src >/dev/null
pg_start tgt >/dev/null
have_scale=$( [ -f "$BENCH_TMP/dataset-$DB.env" ] && . "$BENCH_TMP/dataset-$DB.env" && echo "${SCALE:-}" || true)
if [ "$have_scale" != "$SCALE" ] || ! pgq src "$DB" -Atc "SELECT 1 FROM events LIMIT 1" >/dev/null 2>&1; then
  log "generating the dataset (SCALE=$SCALE, a few minutes)"
  SCALE=$SCALE "$BENCH_DIR/gen.sh" pg
fi
SRC=$(pg_uri src "$DB")
ROWS=$(pgq src "$DB" -Atc "SELECT $(printf "(SELECT count(*) FROM %s)+" "${TABLES[@]}")0")
SRC_BYTES=$(pgq src "$DB" -Atc "SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
DATA_BYTES=$(pgq src "$DB" -Atc "SELECT sum(pg_table_size(oid)) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
log "dataset: $ROWS rows, $((SRC_BYTES / 1000000)) MB total, $((DATA_BYTES / 1000000)) MB of table data"

# Per-table count and order-independent hash of every row, for checking targets.
CHECK_SQL=$(for t in "${TABLES[@]}"; do printf "SELECT '%s', count(*), sum(hashtextextended(x::text, 0)::numeric) FROM %s x UNION ALL " "$t" "$t"; done)
CHECK_SQL=${CHECK_SQL% UNION ALL }
SRC_CHECK=$(pgq src "$DB" -At -F ' ' -c "$CHECK_SQL" | sort)

fresh_db() {   # fresh_db NAME [predata]
  pgq tgt postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  if [ "${2:-}" = predata ]; then
    pg_dump -h 127.0.0.1 -p "$PG_SRC_PORT" -U postgres -s --section=pre-data "$DB" | pgq tgt "$1" >/dev/null
  fi
  pgq src postgres -c CHECKPOINT >/dev/null; pgq tgt postgres -c CHECKPOINT >/dev/null; sync; sleep 1
}

verify() {   # verify DB -> "match" or "DIFFERS" (the differences go to stderr)
  local got; got=$(pgq tgt "$1" -At -F ' ' -c "$CHECK_SQL" 2>&1 | sort)
  if [ "$got" = "$SRC_CHECK" ]; then echo match; else diff <(echo "$SRC_CHECK") <(echo "$got") >&2 || true; echo DIFFERS; fi
}

[ -s "$RESULTS" ] || printf 'run_at\tscale\tstep\twall_s\tMB_s\trows_s\trss_a_MB\trss_b_MB\tcheck\tnotes\n' >"$RESULTS"
declare -A WALL RSS CHECK
record() {   # record STEP WALL RSS_A RSS_B CHECK NOTES
  printf '%s\t%s\t%s\t%s\t%.1f\t%.0f\t%s\t%s\t%s\t%s\n' "$(date '+%F %H:%M')" "$SCALE" "$1" "$2" \
    "$(awk "BEGIN{print $SRC_BYTES/1e6/$2}")" "$(awk "BEGIN{print $ROWS/$2}")" "$3" "$4" "$5" "$6" >>"$RESULTS"
}

# timed CMD: runs bash -c CMD, sets T (wall seconds)
timed() { local t0 t1; t0=$(date +%s.%N); bash -c "set -o pipefail; $1"; t1=$(date +%s.%N); T=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}"); }
rss() { awk '{printf "%.0f", $1/1024}' "$1" 2>/dev/null || echo -; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

raw_pipe() {   # raw_pipe TARGET_DB (runs in a child bash: arrays do not cross, TABLES_LIST does)
  printf '%s\n' $TABLES_LIST | xargs -P "$JOBS" -I{} bash -c "set -o pipefail; psql -X -q -h 127.0.0.1 -p $PG_SRC_PORT -U postgres -d $DB -c 'COPY {} TO STDOUT (FORMAT binary)' | psql -X -q -h 127.0.0.1 -p $PG_TGT_PORT -U postgres -d $1 -c 'COPY {} FROM STDIN (FORMAT binary)'"
}
export -f raw_pipe; export DB JOBS PG_SRC_PORT PG_TGT_PORT; export TABLES_LIST="${TABLES[*]}"

dbmig_pipe() {   # dbmig_pipe TARGET_DB COMPRESSION EXTRA_LOAD_FLAGS
  local tgt; tgt=$(pg_uri tgt "$1")
  timed "/usr/bin/time -o $OUT/rss.a -f %M $BIN/dbextract '$SRC' -j $JOBS --compression $2 --log-level warn --progress never \
       | /usr/bin/time -o $OUT/rss.b -f %M $BIN/dbload '$tgt' -j $JOBS --log-level warn --progress never $3"
}

# ------------------------------------------------------------ steps
for step in $STEPS; do
  case $step in
  raw)
    ws=()
    for i in $(seq "$REPEAT"); do
      fresh_db b_raw predata
      timed "raw_pipe b_raw"; ws+=("$T"); log "raw binary pipe run $i: $T s"
    done
    WALL[raw]=$(median "${ws[@]}"); CHECK[raw]=$(verify b_raw)
    record raw "${WALL[raw]}" - - "${CHECK[raw]}" "psql COPY binary | psql COPY binary, $JOBS streams, data only; runs: ${ws[*]}"
    ;;
  dbmig)
    for comp in none lz4 zstd; do
      ws=(); n=$REPEAT; [ "$comp" = none ] || n=1
      for i in $(seq "$n"); do
        fresh_db b_dbmig predata
        dbmig_pipe b_dbmig "$comp" ""; ws+=("$T"); log "dbextract | dbload ($comp) run $i: $T s"
      done
      WALL[dbmig-$comp]=$(median "${ws[@]}"); RSS[dbmig-$comp]="$(rss "$OUT/rss.a") $(rss "$OUT/rss.b")"; CHECK[dbmig-$comp]=$(verify b_dbmig)
      record "dbmig-$comp" "${WALL[dbmig-$comp]}" $(rss "$OUT/rss.a") $(rss "$OUT/rss.b") "${CHECK[dbmig-$comp]}" "dbextract | dbload --compression $comp, -j $JOBS, data only; runs: ${ws[*]}"
    done
    ;;
  full)
    fresh_db b_full
    dbmig_pipe b_full none "--create"; WALL[full]=$T; RSS[full]="$(rss "$OUT/rss.a") $(rss "$OUT/rss.b")"; CHECK[full]=$(verify b_full)
    log "dbextract | dbload --create: $T s"
    record full "$T" $(rss "$OUT/rss.a") $(rss "$OUT/rss.b") "${CHECK[full]}" "dbextract | dbload --create (data, keys, indexes, FKs, ANALYZE), --compression none, -j $JOBS"
    ;;
  rawfull)
    fresh_db b_rawfull predata
    timed "raw_pipe b_rawfull && pg_dump -h 127.0.0.1 -p $PG_SRC_PORT -U postgres --section=post-data $DB | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_TGT_PORT -U postgres -d b_rawfull >/dev/null && vacuumdb -q -h 127.0.0.1 -p $PG_TGT_PORT -U postgres -j $JOBS --analyze-only b_rawfull"
    WALL[rawfull]=$T; CHECK[rawfull]=$(verify b_rawfull); log "raw pipe + post-data + analyze: $T s"
    record rawfull "$T" - - "${CHECK[rawfull]}" "raw pipe, then pg_dump --section=post-data | psql, then vacuumdb --analyze-only -j $JOBS"
    ;;
  pgcopydb)
    fresh_db b_pgcopydb
    rm -rf "$BENCH_TMP/scratch/pgcopydb"
    timed "TMPDIR=$BENCH_TMP/scratch /usr/bin/time -o $OUT/rss.a -f %M pgcopydb clone --source '$SRC' --target '$(pg_uri tgt b_pgcopydb)' --table-jobs $JOBS --index-jobs $JOBS --dir $BENCH_TMP/scratch/pgcopydb >$OUT/pgcopydb.log 2>&1"
    WALL[pgcopydb]=$T; RSS[pgcopydb]="$(rss "$OUT/rss.a") -"; CHECK[pgcopydb]=$(verify b_pgcopydb); log "pgcopydb clone: $T s"
    record pgcopydb "$T" $(rss "$OUT/rss.a") - "${CHECK[pgcopydb]}" "pgcopydb clone --table-jobs $JOBS --index-jobs $JOBS"
    ;;
  *) echo "bench: unknown step $step" >&2; exit 2;;
  esac
done

# ------------------------------------------------------------ report
mbs() { awk "BEGIN{printf \"%.0f\", $SRC_BYTES/1e6/$1}"; }
rps() { awk "BEGIN{printf \"%.0f\", $ROWS/$1/1000}"; }
ratio() { [ -n "${WALL[$2]:-}" ] && awk "BEGIN{printf \"%.2fx\", ${WALL[$2]}/$1}" || echo -; }
echo
echo "## make bench — PostgreSQL → PostgreSQL, SCALE=$SCALE ($ROWS rows, $((SRC_BYTES / 1000000)) MB), $(nproc) cores, -j $JOBS, $(date '+%F %H:%M')"
echo
echo "| step | wall s | MB/s | k rows/s | × raw pipe speed | peak RSS MB (extract / load) | target = source |"
echo "|---|---:|---:|---:|---:|---:|---|"
for s in raw dbmig-none dbmig-lz4 dbmig-zstd rawfull full pgcopydb; do
  [ -n "${WALL[$s]:-}" ] || continue
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$s" "${WALL[$s]}" "$(mbs "${WALL[$s]}")" "$(rps "${WALL[$s]}")" \
    "$(case $s in raw|dbmig-*) ratio "${WALL[$s]}" raw;; *) ratio "${WALL[$s]}" rawfull;; esac)" "${RSS[$s]:-  -}" "${CHECK[$s]}"
done
echo
echo "(× raw pipe speed: raw wall ÷ step wall — for the data-phase steps against the raw pipe, for whole copies against raw pipe + post-data.)"
echo
bar() { printf -- '- %s: %s\n' "$1" "$2"; }
if [ -n "${WALL[raw]:-}" ] && [ -n "${WALL[dbmig-none]:-}" ]; then
  r=$(awk "BEGIN{print ${WALL[raw]}/${WALL[dbmig-none]}}")
  bar "data phase ≥ 0.9× the raw binary pipe" "$(awk "BEGIN{printf \"%.2f× — %s\", $r, ($r >= 0.9) ? \"PASS\" : \"FAIL\"}")"
fi
if [ -n "${WALL[full]:-}" ] && [ -n "${WALL[pgcopydb]:-}" ]; then
  bar "whole copy faster than pgcopydb clone" "$(awk "BEGIN{printf \"%s s vs %s s — %s\", ${WALL[full]}, ${WALL[pgcopydb]}, (${WALL[full]} < ${WALL[pgcopydb]}) ? \"PASS\" : \"FAIL\"}")"
fi
maxrss=0
for s in "${!RSS[@]}"; do for v in ${RSS[$s]}; do [ "$v" = - ] || { [ "$s" = pgcopydb ] && continue; [ "$v" -gt "$maxrss" ] && maxrss=$v; }; done; done
[ "$maxrss" -gt 0 ] && bar "peak RSS of each dbmig process ≤ 256 MB" "$maxrss MB — $([ "$maxrss" -le 256 ] && echo PASS || echo FAIL)"
echo
echo "results appended to $RESULTS"
