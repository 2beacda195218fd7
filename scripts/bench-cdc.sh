#!/usr/bin/env bash
# make bench-cdc: PostgreSQL -> PostgreSQL change replication, dbmig against PostgreSQL's
# own logical replication (CREATE PUBLICATION / CREATE SUBSCRIPTION), measured the same way
# in one run, one after the other on the rig's throwaway source and target:
#
#   dbmig   dbcdc --snapshot --slot S --ack-from TGT SRC | dbload --apply --create TGT
#   native  pg_dump -s | psql, CREATE PUBLICATION ... FOR ALL TABLES, CREATE SUBSCRIPTION
#
# Source: database "cdc" on the rig's PG source, `pgbench -i -s $PGB_SCALE`, plus
#   * pgbench_history gets a primary key column (hid bigserial): dbload --apply needs a
#     primary key on every table (docs/CDC.md); the same source serves both tools;
#   * hb(id bigserial PK, src_ts timestamptz DEFAULT clock_timestamp()): a heartbeat row is
#     inserted every 10 ms on average (`pgbench -R 100 -c 1`) while a load runs. Inserts, not
#     updates of one row, so that dbload's per-key collapse cannot hide heartbeats.
# Target: after the initial copy, an AFTER INSERT trigger on hb (ENABLE ALWAYS: both appliers
#   run with session_replication_role = replica) records clock_timestamp() in hb_seen at apply.
#   Lag = hb_seen.dst_ts - hb.src_ts (both clusters read the same clock). It is stamped
#   inside the applying transaction, just before its commit.
#
# Phases, per tool: pgbench TPC-B-like (-n -c 4 -j 2 -T $DURATION) at each of $RATES
# (0 = unthrottled): lag p50/p99/max over every heartbeat of the phase, achieved tps, time
# for the last heartbeat to reach the target after the load stops ("catch-up").
# Backlog: stop the consumer (dbcdc SIGTERM / ALTER SUBSCRIPTION DISABLE), update $BACKLOG
# distinct pgbench_accounts rows in transactions of 1000 rows (nothing to collapse), insert a
# marker heartbeat, start the consumer again and time until the marker is on the target.
# Every target is checked against the source (count and hash of every row of every table).
# Peak RSS of dbcdc and dbload by GNU time (max over both runs of each).
#
# Environment: PGB_SCALE (10), DURATION (30), RATES ("1000 2000 0"), BACKLOG (1000000),
# TOOLS ("dbmig dbmig@1s native": dbmig@D is dbmig with dbcdc --window D), BENCH_DIR, BENCH_TMP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH_DIR/lib.sh" ] || { echo "bench: no rig at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
. "$BENCH_DIR/lib.sh"
PGB_SCALE=${PGB_SCALE:-10}
DURATION=${DURATION:-30}
RATES=${RATES:-1000 2000 0}
BACKLOG=${BACKLOG:-1000000}
TOOLS=${TOOLS:-dbmig dbmig@1s native}
WINDOW=
DB=cdc
BIN=$ROOT/bin
OUT=$ROOT/.bench
mkdir -p "$OUT"
RESULTS=$OUT/results-cdc.tsv
SLOT=bench_cdc_dbmig
PUB=bench_cdc_dbmig
NSUB=bench_cdc_native
SRC=$(pg_uri src "$DB")
TABLES=(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history hb)
[ -x /usr/bin/time ] || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -q time >/dev/null; }
(( BACKLOG <= PGB_SCALE * 100000 )) || { echo "bench-cdc: BACKLOG ($BACKLOG) > pgbench_accounts rows ($((PGB_SCALE * 100000)))" >&2; exit 2; }

pgb() { pgbench -h 127.0.0.1 -p "$PG_SRC_PORT" -U postgres "$@"; }
now() { date +%s.%N; }
sub() { awk "BEGIN{printf \"%.2f\", $1 - $2}"; }
rss() { awk '/^[0-9]+ /{v=$1} END{if (v) printf "%.0f", v/1024; else print "-"}' "$1" 2>/dev/null || echo -; }
cpu() { awk '/^[0-9]+ /{printf "%.1f", $2 + $3}' "$1" 2>/dev/null || echo -; }   # user+sys s

# ------------------------------------------------------------ cleanup (slots pin WAL)
PIDS=()
drop_native() {
  if pgq tgt postgres -Atc "SELECT 1 FROM pg_subscription WHERE subname = '$NSUB'" 2>/dev/null | grep -q 1; then
    local d; d=$(pgq tgt postgres -Atc "SELECT datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE subname = '$NSUB'")
    pgq tgt "$d" -c "ALTER SUBSCRIPTION $NSUB DISABLE" -c "ALTER SUBSCRIPTION $NSUB SET (slot_name = NONE)" -c "DROP SUBSCRIPTION $NSUB" >/dev/null || true
  fi
  pgq src "$DB" -c "DROP PUBLICATION IF EXISTS $NSUB" >/dev/null 2>&1 || true
  drop_slot "$NSUB"
}
drop_slot() {   # drop_slot NAME: wait for its walsender to go, then drop it
  local i
  for i in $(seq 1 100); do
    pgq src postgres -Atc "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$1'" | grep -q 1 || return 0
    pgq src postgres -c "SELECT pg_drop_replication_slot('$1') FROM pg_replication_slots WHERE slot_name = '$1' AND NOT active" >/dev/null 2>&1 || true
    sleep 0.2
  done
  log "WARNING: could not drop slot $1"
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  drop_native
  drop_slot "$SLOT"
  pgq src "$DB" -c "DROP PUBLICATION IF EXISTS $PUB" >/dev/null 2>&1 || true
  local left; left=$(pgq src postgres -Atc "SELECT string_agg(slot_name, ',') FROM pg_replication_slots WHERE slot_name LIKE 'bench_cdc%'" 2>/dev/null || true)
  [ -z "$left" ] || log "WARNING: slots left on the source: $left"
}
trap cleanup EXIT

# ------------------------------------------------------------ source
pg_start src >/dev/null
pg_start tgt >/dev/null
cleanup
SYNC_COMMIT=$(pgq src postgres -Atc "SHOW synchronous_commit")
WAL_WRITER_DELAY=$(pgq src postgres -Atc "SHOW wal_writer_delay")
PGVER=$(pgq src postgres -Atc "SHOW server_version")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "source: database $DB, pgbench -i -s $PGB_SCALE (synchronous_commit=$SYNC_COMMIT)"
pgq src postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
pgb -i -q -s "$PGB_SCALE" "$DB" >"$OUT/cdc-pgbench-init.log" 2>&1
pgq src "$DB" >/dev/null <<'SQL'
ALTER TABLE pgbench_history ADD COLUMN hid bigserial PRIMARY KEY;
CREATE TABLE hb (id bigserial PRIMARY KEY, src_ts timestamptz NOT NULL DEFAULT clock_timestamp());
SQL
echo 'INSERT INTO hb DEFAULT VALUES;' >"$OUT/cdc-hb.sql"

CHECK_SQL=$(for t in "${TABLES[@]}"; do printf "SELECT '%s', count(*), sum(hashtextextended(x::text, 0)::numeric) FROM %s x UNION ALL " "$t" "$t"; done)
CHECK_SQL=${CHECK_SQL% UNION ALL }
verify() {   # verify TGTDB -> match | DIFFERS
  local a b; a=$(pgq src "$DB" -At -F ' ' -c "$CHECK_SQL" | sort); b=$(pgq tgt "$1" -At -F ' ' -c "$CHECK_SQL" 2>&1 | sort)
  if [ "$a" = "$b" ]; then echo match; else diff <(echo "$a") <(echo "$b") >&2 || true; echo DIFFERS; fi
}

hb_install() {   # on the target, after its initial copy
  pgq tgt "$1" >/dev/null <<'SQL'
CREATE TABLE hb_seen (id bigint, src_ts timestamptz, dst_ts timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION public.hb_seen_f() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO public.hb_seen (id, src_ts) VALUES (NEW.id, NEW.src_ts); RETURN NULL; END$$;
CREATE TRIGGER hb_seen_t AFTER INSERT ON hb FOR EACH ROW EXECUTE FUNCTION hb_seen_f();
ALTER TABLE hb ENABLE ALWAYS TRIGGER hb_seen_t;
SQL
}
hb_mark() { pgq src "$DB" -Atc "INSERT INTO hb DEFAULT VALUES RETURNING id" | head -1; }
wait_id() {   # wait_id TGTDB TABLE ID TIMEOUT_S: until TABLE on the target holds id >= ID; prints seconds waited
  local t0 i=0; t0=$(now)
  while :; do
    pgq tgt "$1" -Atc "SELECT 1 FROM $2 WHERE id >= $3 LIMIT 1" 2>/dev/null | grep -q 1 && break
    if [ "$(sub "$(now)" "$t0" | cut -d. -f1)" -ge "$4" ]; then echo timeout; return 0; fi
    if [ -n "$LOAD_PID" ] && ! kill -0 "$LOAD_PID" 2>/dev/null; then echo timeout; log "dbload exited: $(tail -2 "$OUT/cdc-dbload.$RUN.log")"; return 0; fi
    sleep 0.05
  done
  sub "$(now)" "$t0"
}

wait_active() {   # wait_active SLOT: until a walsender streams from SLOT; prints seconds waited
  local t0; t0=$(now)
  until pgq src postgres -Atc "SELECT active FROM pg_replication_slots WHERE slot_name = '$1'" | grep -q t; do
    if [ "$(sub "$(now)" "$t0" | cut -d. -f1)" -ge 120 ]; then break; fi
    sleep 0.02
  done
  sub "$(now)" "$t0"
}

# ------------------------------------------------------------ dbmig pipeline
CDC_PID=; LOAD_PID=; RUN=0
dbmig_start() {   # dbmig_start TGTDB
  RUN=$((RUN + 1))
  local tgt fifo=$OUT/cdc.fifo; tgt=$(pg_uri tgt "$1")
  rm -f "$fifo"; mkfifo "$fifo"
  /usr/bin/time -o "$OUT/cdc-rss-dbload.$RUN" -f '%M %U %S' "$BIN/dbload" --apply --create --progress never --lag-every 5s "$tgt" \
    <"$fifo" 2>"$OUT/cdc-dbload.$RUN.log" &
  LOAD_PID=$!; PIDS+=("$LOAD_PID")
  /usr/bin/time -o "$OUT/cdc-rss-dbcdc.$RUN" -f '%M %U %S' "$BIN/dbcdc" --snapshot --slot "$SLOT" --publication "$PUB" \
    --ack-from "$tgt" --progress never ${WINDOW:+--window "$WINDOW"} "$SRC" \
    >"$fifo" 2>"$OUT/cdc-dbcdc.$RUN.log" &
  CDC_PID=$!; PIDS+=("$CDC_PID")
}
dbmig_stop() {   # SIGTERM to dbcdc itself (not to GNU time): it writes the trailer, dbload ends
  local c rc1=0 rc2=0
  c=$(pgrep -P "$CDC_PID" -x dbcdc || true)
  [ -n "$c" ] && kill -TERM "$c"
  wait "$CDC_PID" || rc1=$?
  wait "$LOAD_PID" || rc2=$?
  LOAD_PID=
  [ "$rc1$rc2" = 00 ] || log "WARNING: dbcdc exit $rc1, dbload exit $rc2 (logs $OUT/cdc-dbcdc.$RUN.log, $OUT/cdc-dbload.$RUN.log)"
}

# ------------------------------------------------------------ measurement
[ -s "$RESULTS" ] || printf 'run_at\ttool\tstep\ttps\thb_seen\thb_sent\tlag_p50_ms\tlag_p99_ms\tlag_max_ms\tcatchup_s\trows_s\tnotes\n' >"$RESULTS"
declare -A TPS LAG CATCH SEEN DRAIN RPS CHECK RSS START CPU
rate_name() { [ "$1" = 0 ] && echo unthrottled || echo "$1"; }

phase() {   # phase TOOL TGTDB RATE
  local tool=$1 tgtdb=$2 rate=$3 a b hbpid t1 c st
  pgq src "$DB" -c CHECKPOINT >/dev/null
  a=$(hb_mark); wait_id "$tgtdb" hb_seen "$a" 60 >/dev/null
  log "$tool: pgbench $(rate_name "$rate") tps for $DURATION s"
  pgb -n -R 100 -c 1 -T "$DURATION" -f "$OUT/cdc-hb.sql" "$DB" >"$OUT/cdc-hb-pgbench.log" 2>&1 &
  hbpid=$!; PIDS+=("$hbpid")
  pgb -n -c 4 -j 2 -T "$DURATION" $([ "$rate" = 0 ] || echo "-R $rate") "$DB" >"$OUT/cdc-pgbench.log" 2>&1
  wait "$hbpid" || true
  t1=$(now)
  b=$(hb_mark)
  c=$(wait_id "$tgtdb" hb_seen "$b" 600)
  [ "$c" = timeout ] || c=$(sub "$(now)" "$t1")
  TPS[$tool,$rate]=$(awk '/^tps = /{printf "%.0f", $3}' "$OUT/cdc-pgbench.log")
  st=$(pgq tgt "$tgtdb" -At -F ' ' -c "SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 1),
        round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 1), round(max(l)::numeric, 1)
      FROM (SELECT extract(epoch FROM dst_ts - src_ts) * 1000 AS l FROM hb_seen WHERE id > $a AND id < $b) x")
  set -- $st
  SEEN[$tool,$rate]="$1/$((b - a - 1))"; LAG[$tool,$rate]="$2 / $3 / $4"; CATCH[$tool,$rate]=$c
  log "$tool $(rate_name "$rate"): ${TPS[$tool,$rate]} tps, heartbeats ${SEEN[$tool,$rate]}, lag p50/p99/max ${LAG[$tool,$rate]} ms, catch-up $c s"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\n' "$(date '+%F %H:%M')" "$tool" "rate-$(rate_name "$rate")" "${TPS[$tool,$rate]}" \
    "$1" "$((b - a - 1))" "$2" "$3" "$4" "$c" "pgbench -s $PGB_SCALE -c 4 -j 2 -T $DURATION; synchronous_commit=$SYNC_COMMIT" >>"$RESULTS"
}

backlog_gen() {   # BACKLOG distinct account rows updated, 1000 per transaction
  log "backlog: updating $BACKLOG pgbench_accounts rows in transactions of 1000"
  pgq src "$DB" -c "DO \$\$ BEGIN FOR i IN 0..$((BACKLOG / 1000 - 1)) LOOP
      UPDATE pgbench_accounts SET abalance = abalance + 1, filler = 'backlog' WHERE aid > i * 1000 AND aid <= (i + 1) * 1000; COMMIT;
    END LOOP; END \$\$" >/dev/null
}
backlog_record() {   # backlog_record TOOL SECONDS_FROM_START SECONDS_TO_SLOT_ACTIVE
  DRAIN[$1]=$(sub "$2" "$3"); START[$1]=$3; RPS[$1]=$(awk "BEGIN{printf \"%.0f\", $BACKLOG / ${DRAIN[$1]}}")
  log "$1: backlog of $BACKLOG row changes applied in ${DRAIN[$1]} s after the slot became active ($3 s after the start): ${RPS[$1]} rows/s"
  printf '%s\t%s\tbacklog\t-\t-\t-\t-\t-\t-\t%s\t%s\t%s\n' "$(date '+%F %H:%M')" "$1" "${DRAIN[$1]}" "${RPS[$1]}" \
    "$BACKLOG distinct pgbench_accounts updates in 1000-row transactions, drained from the slot; from slot active (+$3 s start) to the marker on the target" >>"$RESULTS"
}

for tool in $TOOLS; do
  case $tool in
  dbmig|dbmig@*)
    WINDOW=; [ "$tool" = dbmig ] || WINDOW=${tool#dbmig@}
    TDB=cdc_$(echo "$tool" | tr -c 'a-z0-9\n' _)
    pgq tgt postgres -c "DROP DATABASE IF EXISTS $TDB WITH (FORCE)" -c "CREATE DATABASE $TDB" >/dev/null
    log "dbmig: dbcdc --snapshot | dbload --apply --create"
    t0=$(now); dbmig_start "$TDB"; LIVE_RUN=$RUN
    # once dbcdc streams, its snapshot is taken: the marker is a change, not snapshot data
    for i in $(seq 1 9000); do grep -q 'streaming changes' "$OUT/cdc-dbcdc.$RUN.log" && break; kill -0 "$CDC_PID" 2>/dev/null || break; sleep 0.1; done
    m=$(hb_mark); w=$(wait_id "$TDB" hb "$m" 900)
    [ "$w" != timeout ] || die "dbmig: snapshot not applied within 900 s (see $OUT/cdc-dbcdc.$RUN.log, $OUT/cdc-dbload.$RUN.log)"
    log "dbmig: snapshot and first change applied in $(sub "$(now)" "$t0") s"
    hb_install "$TDB"
    for rate in $RATES; do phase "$tool" "$TDB" "$rate"; done
    dbmig_stop
    backlog_gen
    m=$(hb_mark)
    t0=$(now); dbmig_start "$TDB"
    a=$(wait_active "$SLOT")
    w=$(wait_id "$TDB" hb_seen "$m" 1200)
    [ "$w" = timeout ] && backlog_record "$tool" 1e9 0 || backlog_record "$tool" "$(sub "$(now)" "$t0")" "$a"
    dbmig_stop
    RSS_CDC=$(for f in "$OUT"/cdc-rss-dbcdc.*; do rss "$f"; echo; done | sort -n | tail -1)
    RSS_LOAD=$(for f in "$OUT"/cdc-rss-dbload.*; do rss "$f"; echo; done | sort -n | tail -1)
    CPU[$tool]="$(cpu "$OUT/cdc-rss-dbcdc.$LIVE_RUN") $(cpu "$OUT/cdc-rss-dbload.$LIVE_RUN")"
    rm -f "$OUT"/cdc-rss-*
    CHECK[$tool]=$(verify "$TDB")
    RSS[$tool]="$RSS_CDC $RSS_LOAD"
    grep -h '"applied"\|msg=applied\| applied ' "$OUT"/cdc-dbload.*.log | tail -3 >&2 || true
    drop_slot "$SLOT"
    pgq src "$DB" -c "DROP PUBLICATION IF EXISTS $PUB" >/dev/null
    ;;
  native)
    TDB=cdc_native
    pgq tgt postgres -c "DROP DATABASE IF EXISTS $TDB WITH (FORCE)" -c "CREATE DATABASE $TDB" >/dev/null
    pg_dump -h 127.0.0.1 -p "$PG_SRC_PORT" -U postgres -s "$DB" | pgq tgt "$TDB" >/dev/null
    log "native: CREATE PUBLICATION / CREATE SUBSCRIPTION"
    t0=$(now)
    pgq src "$DB" -c "CREATE PUBLICATION $NSUB FOR ALL TABLES" >/dev/null
    pgq tgt "$TDB" -c "CREATE SUBSCRIPTION $NSUB CONNECTION 'host=127.0.0.1 port=$PG_SRC_PORT user=postgres dbname=$DB' PUBLICATION $NSUB" >/dev/null
    m=$(hb_mark); w=$(wait_id "$TDB" hb "$m" 900)
    for i in $(seq 1 600); do
      [ "$(pgq tgt "$TDB" -Atc "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")" = 0 ] && break; sleep 0.5
    done
    log "native: initial copy and first change applied in $(sub "$(now)" "$t0") s"
    hb_install "$TDB"
    for rate in $RATES; do phase native "$TDB" "$rate"; done
    pgq tgt "$TDB" -c "ALTER SUBSCRIPTION $NSUB DISABLE" >/dev/null
    for i in $(seq 1 100); do
      pgq src postgres -Atc "SELECT active FROM pg_replication_slots WHERE slot_name = '$NSUB'" | grep -q f && break; sleep 0.2
    done
    backlog_gen
    m=$(hb_mark)
    t0=$(now); pgq tgt "$TDB" -c "ALTER SUBSCRIPTION $NSUB ENABLE" >/dev/null
    a=$(wait_active "$NSUB")
    w=$(wait_id "$TDB" hb_seen "$m" 1200)
    [ "$w" = timeout ] && backlog_record native 1e9 0 || backlog_record native "$(sub "$(now)" "$t0")" "$a"
    CHECK[native]=$(verify "$TDB")
    drop_native
    ;;
  *) echo "bench-cdc: unknown tool $tool" >&2; exit 2;;
  esac
done

# ------------------------------------------------------------ report
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "## make bench-cdc — PostgreSQL $PGVER → PostgreSQL, pgbench scale $PGB_SCALE, $(nproc) cores, $(date '+%F %H:%M')"
echo
echo "Source synchronous_commit=$SYNC_COMMIT, wal_writer_delay=$WAL_WRITER_DELAY; dbmig = dbcdc with its default --window ($($BIN/dbcdc --help 2>/dev/null | sed -n "s/.*--window DURATION.*(default: \([^)]*\)).*/\1/p" | head -1)), dbmig@D = dbcdc --window D; load average at start $LOAD_START, at end $LOAD_END (1/5/15 min)."
echo
echo "| tool | load | achieved tps | heartbeats on target / sent | lag p50 / p99 / max ms | last heartbeat on target after load stops, s |"
echo "|---|---|---:|---:|---|---:|"
for rate in $RATES; do for tool in $TOOLS; do
  [ -n "${TPS[$tool,$rate]:-}" ] || continue
  printf '| %s | %s | %s | %s | %s | %s |\n' "$tool" "$(rate_name "$rate")" "${TPS[$tool,$rate]}" "${SEEN[$tool,$rate]}" "${LAG[$tool,$rate]}" "${CATCH[$tool,$rate]}"
done; done
echo
echo "| tool | backlog | start s (until the slot is active) | drain s (slot active → marker applied) | rows/s | × native | target = source |"
echo "|---|---:|---:|---:|---:|---:|---|"
for tool in $TOOLS; do
  [ -n "${DRAIN[$tool]:-}" ] || continue
  x=-; [ -n "${DRAIN[native]:-}" ] && x=$(awk "BEGIN{printf \"%.2fx\", ${DRAIN[native]} / ${DRAIN[$tool]}}")
  printf '| %s | %s row changes | %s | %s | %s | %s | %s |\n' "$tool" "$BACKLOG" "${START[$tool]}" "${DRAIN[$tool]}" "${RPS[$tool]}" "$x" "${CHECK[$tool]:-}"
done
echo
for tool in $TOOLS; do [ -n "${RSS[$tool]:-}" ] && set -- ${RSS[$tool]} && echo "Peak RSS, $tool: dbcdc $1 MB, dbload $2 MB (max over the live run and the backlog run); CPU (user+sys) of the live run (snapshot + the $(echo $RATES | wc -w) load phases): dbcdc ${CPU[$tool]% *} s, dbload ${CPU[$tool]#* } s."; done
echo
bar() { printf -- '- %s: %s\n' "$1" "$2"; }
keeps() { local c=${CATCH[$1,$2]:-timeout}; [ "$c" != timeout ] && awk "BEGIN{exit !($c <= 2)}"; }
for tool in $TOOLS; do
  [ "$tool" = native ] && continue
  echo "$tool:"
  if [ -n "${TPS[$tool,${RATES%% *}]:-}" ] && [ -n "${TPS[native,${RATES%% *}]:-}" ]; then
    ok=PASS; detail=
    for rate in $RATES; do
      keeps native "$rate" || continue
      if keeps "$tool" "$rate"; then detail+=" $(rate_name "$rate"): yes;"; else detail+=" $(rate_name "$rate"): NO;"; ok=FAIL; fi
    done
    bar "keeps up wherever native does (last heartbeat on the target ≤ 2 s after the load stops)" "${detail# } — $ok"
  fi
  if [ -n "${LAG[$tool,2000]:-}" ]; then
    p99=$(echo "${LAG[$tool,2000]}" | awk -F' / ' '{print $2}')
    bar "p99 lag ≤ 100 ms at 2,000 tps" "$p99 ms — $(awk "BEGIN{print ($p99 <= 100) ? \"PASS\" : \"FAIL\"}")"
  fi
  if [ -n "${RPS[$tool]:-}" ]; then
    r=${RPS[$tool]}; n=${RPS[native]:-0}
    bar "backlog apply ≥ 50,000 rows/s and faster than native" "$r rows/s vs native $n rows/s — $(awk "BEGIN{print ($r >= 50000 && $r > $n) ? \"PASS\" : \"FAIL\"}")"
  fi
  if [ -n "${RSS[$tool]:-}" ]; then
    set -- ${RSS[$tool]}; m=$1; [ "$2" -gt "$m" ] && m=$2
    bar "peak RSS ≤ 256 MB" "dbcdc $1 MB, dbload $2 MB — $([ "$m" -le 256 ] && echo PASS || echo FAIL)"
  fi
done
echo
echo "results appended to $RESULTS"
