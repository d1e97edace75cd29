#!/usr/bin/env bash
# Measures Herald against the physical limit (bench/reference) and the @a2a-js/sdk server
# (bench/js-server) in one run, Herald's stream and fan-out also over HTTP+JSON/REST and gRPC and with telemetry on vs off,
# and writes docs/performance.md.
#
#   bench/run.sh            load scenarios (about 8 minutes, 1 more for telemetry on vs off), then docs/performance.md
#   bench/run.sh --micro    also the BenchmarkDotNet suite, short job (about 4 more minutes)
#   bench/run.sh --quick    small sizes, a smoke test of the whole pipeline; writes only under artifacts/
#
# Needs: the .NET SDK of global.json, Node.js >= 20 with npm (bench/js-server is installed with `npm ci`).
# Every server listens on 127.0.0.1 on a free port and is stopped on exit, whatever happens.
# Environment overrides: IDLE_C (default "1000 5000": modest, so that a full run stays near 8 minutes on
# a small shared machine), IDLE_HOLD_SMALL (10), IDLE_HOLD_LARGE (30). The issue's C=10,000 for a minute:
#   IDLE_C="1000 10000" IDLE_HOLD_LARGE=60 bench/run.sh   (about 3 minutes more)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MICRO=0
QUICK=0
for arg in "$@"; do
  case "$arg" in
    --micro) MICRO=1 ;;
    --quick) QUICK=1 ;;
    *) echo "usage: bench/run.sh [--micro] [--quick]" >&2; exit 2 ;;
  esac
done

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/artifacts/bench/$STAMP"
mkdir -p "$OUT/results" "$OUT/logs"
LOG="$OUT/run.log"
exec > >(tee -a "$LOG") 2>&1

SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Many idle streams need many file descriptors (one per connection, per process).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [ "$QUICK" = 1 ]; then
  STREAM_N="1000,5000"; FANOUT_K="50,200"; MANY_T="20"; LATENCY_S=2; CHURN_TASKS=5000
  IDLE_C="${IDLE_C:-200 1000}"; IDLE_HOLD_SMALL="${IDLE_HOLD_SMALL:-3}"; IDLE_HOLD_LARGE="${IDLE_HOLD_LARGE:-5}"
else
  STREAM_N="1000,10000"; FANOUT_K="100,1000"; MANY_T="100"; LATENCY_S=3; CHURN_TASKS=50000
  IDLE_C="${IDLE_C:-1000 5000}"; IDLE_HOLD_SMALL="${IDLE_HOLD_SMALL:-10}"; IDLE_HOLD_LARGE="${IDLE_HOLD_LARGE:-30}"
fi
# The command as the report shows it, with any environment override that changed what was measured.
COMMAND="bench/run.sh $*"
for var in IDLE_HOLD_LARGE IDLE_HOLD_SMALL IDLE_C; do
  if [ -n "$(printenv "$var" || true)" ]; then COMMAND="$var=\"$(printenv "$var")\" $COMMAND"; fi
done

echo "== build (Release)"
for project in bench/Herald.BenchServer bench/reference bench/Herald.LoadGen; do
  dotnet build -c Release --nologo -v quiet "$project" >"$OUT/logs/build-$(basename "$project").log" 2>&1 \
    || { cat "$OUT/logs/build-$(basename "$project").log"; exit 1; }
done
echo "== npm ci (bench/js-server)"
(cd bench/js-server && npm ci --no-audit --no-fund --loglevel=error >"$OUT/logs/npm.log" 2>&1) || { cat "$OUT/logs/npm.log"; exit 1; }

LOADGEN=(dotnet "$ROOT/bench/Herald.LoadGen/bin/Release/net10.0/Herald.LoadGen.dll")
declare -A URL PID

# The SQLite bench server's database: a fresh file per start, removed with the run's other temporary files.
DBDIR="$(mktemp -d)"
trap 'cleanup; rm -rf "$DBDIR"' EXIT
# Retention for the churn scenario: ended tasks are deleted 2 s after they end, checked every second (the in-memory
# run lasts about 12 s: it must span several retention windows to show where memory levels off).
CHURN_RETENTION=(--retentionSeconds 2 --maintenanceSeconds 1)

# start_server NAME: starts it on a free 127.0.0.1 port and waits (at most 30 s) for its banner.
# EXTRA: more arguments for the Herald bench servers (empty unless a scenario needs a setting).
EXTRA=()
start_server() {
  local name="$1" log="$OUT/logs/server-$1-$STAMP-$RANDOM.log"
  case "$name" in
    herald) dotnet "$ROOT/bench/Herald.BenchServer/bin/Release/net10.0/Herald.BenchServer.dll" --urls http://127.0.0.1:0 "${EXTRA[@]}" >"$log" 2>&1 & ;;
    herald-sqlite) dotnet "$ROOT/bench/Herald.BenchServer/bin/Release/net10.0/Herald.BenchServer.dll" --urls http://127.0.0.1:0 \
      --store "$DBDIR/herald-$RANDOM$RANDOM.db" "${EXTRA[@]}" >"$log" 2>&1 & ;;
    herald-pg*) dotnet "$ROOT/bench/Herald.BenchServer/bin/Release/net10.0/Herald.BenchServer.dll" --urls http://127.0.0.1:0 \
      --postgres "${PG_CONN_FOR[$name]}" "${EXTRA[@]}" >"$log" 2>&1 & ;;
    reference) dotnet "$ROOT/bench/reference/bin/Release/net10.0/Herald.ReferenceServer.dll" --urls http://127.0.0.1:0 >"$log" 2>&1 & ;;
    js) (cd "$ROOT/bench/js-server" && exec node server.mjs --port 0) >"$log" 2>&1 & ;;
    # Telemetry on vs off (measure_telemetry_cost): two fresh in-memory bench servers, one with the OpenTelemetry SDK listening.
    herald-off) dotnet "$ROOT/bench/Herald.BenchServer/bin/Release/net10.0/Herald.BenchServer.dll" --urls http://127.0.0.1:0 >"$log" 2>&1 & ;;
    herald-telemetry) dotnet "$ROOT/bench/Herald.BenchServer/bin/Release/net10.0/Herald.BenchServer.dll" --urls http://127.0.0.1:0 --telemetry >"$log" 2>&1 & ;;
  esac
  local pid=$!
  SERVER_PIDS+=("$pid")
  for _ in $(seq 1 300); do
    if grep -q "listening on http://" "$log" 2>/dev/null; then
      URL[$name]="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1)/"
      PID[$name]="$pid"
      # Herald's banner also names its gRPC address (grpc=URL): measured as herald-grpc, the same process.
      if [ "$name" = herald ]; then URL[herald-grpc]="$(grep -o 'grpc=http://127\.0\.0\.1:[0-9]*' "$log" | head -1 | cut -d= -f2)/"; fi
      echo "   $name: ${URL[$name]} (pid $pid)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server $name did not start:"; cat "$log"; exit 1
}

stop_server() {
  local name="$1" pid="${PID[$1]}"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  local kept=()
  for p in "${SERVER_PIDS[@]}"; do [ "$p" != "$pid" ] && kept+=("$p"); done
  SERVER_PIDS=("${kept[@]}")
}

INCIDENTS="$OUT/incidents.md"

# check_alive NAME WHEN: a server that exited is recorded in the report and started again.
check_alive() {
  local name="$1" when="$2" pid="${PID[$1]}"
  if ! kill -0 "$pid" 2>/dev/null; then
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    echo "- The $name server process (pid $pid) exited $when, exit status $status; it was started again for the next measurement." | tee -a "$INCIDENTS"
    start_server "$name"
  fi
}

# measure NAME SCENARIO ARGS...: one load generator run; a failed check is recorded, not fatal.
# herald-rest and herald-grpc are the herald server measured over its REST routes and its gRPC address.
measure() {
  local name="$1" scenario="$2"; shift 2
  local server="$name" binding=()
  if [ "$name" = herald-rest ]; then server=herald; binding=(--binding rest); fi
  if [ "$name" = herald-grpc ]; then server=herald; binding=(--binding grpc); fi
  check_alive "$server" "before \`$scenario\`"
  echo "-- $scenario / $name"
  timeout 900 "${LOADGEN[@]}" --url "${URL[$name]:-${URL[$server]}}" --label "$name" --server-pid "${PID[$server]}" \
    --scenario "$scenario" --json "$OUT/results/$name-$scenario.json" "${binding[@]}" "$@" || echo "   ($scenario / $name: exit code $?)"
  check_alive "$server" "during \`$scenario\`"
}

# ---- Telemetry on vs off (issue 19) ----
# The stream and fan-out scenarios at their larger size on two fresh in-memory bench servers started together: herald-off
# (no listener, as the main herald server) and herald-telemetry (--telemetry: the OpenTelemetry SDK tracing and reading
# Herald's spans and metrics into counting exporters). Off and on take turns per scenario. The report's "Telemetry on vs
# off" section compares them, and herald-off with the main run's herald figure (the run-to-run spread of "off").
# What the exporters received is kept next to the results (herald-telemetry.exported) as proof the listener was on.
if [ "$QUICK" = 1 ]; then TELEMETRY_N=5000; TELEMETRY_K=200; else TELEMETRY_N=10000; TELEMETRY_K=1000; fi
measure_telemetry_cost() {
  echo "== telemetry on vs off"
  start_server herald-off
  start_server herald-telemetry
  for s in herald-off herald-telemetry; do measure "$s" stream --n "$TELEMETRY_N" --repeat 5 --budget 20 --timeout 400; done
  for s in herald-off herald-telemetry; do measure "$s" fanout --k "$TELEMETRY_K" --n 1000 --timeout 300; done
  curl -s --max-time 10 "${URL[herald-telemetry]}bench/telemetry" >"$OUT/results/herald-telemetry.exported" \
    || echo "   (could not read what the telemetry exporters received)"
  stop_server herald-off
  stop_server herald-telemetry
}
# ---- end telemetry on vs off ----
# ---- PostgreSQL (issue 21) -------------------------------------------------------------------------------------
# A throwaway PostgreSQL cluster on 127.0.0.1 (initdb into a temporary directory, stopped and removed on exit), with
# durable settings (fsync and synchronous_commit on, as operators run it): the write rate measured is the disk's.
# herald-pg is one bench server on it; herald-pg3-a/b/c are three replicas sharing another database, measured together
# under the label herald-pg3 (a task started on -a; subscribers and clients spread over the three).
# Skipped, with the reason in the report, when the PostgreSQL binaries are absent (HERALD_PG_BIN, else the newest
# /usr/lib/postgresql/*/bin).
PG_BIN="${HERALD_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)}"
PG_DIR=""
PG_PORT=""
PG_CONN=""
PG_SERVERS=()
declare -A PG_CONN_FOR

# pg_tool PROGRAM ARGS...: a PostgreSQL program, as the postgres user when this script runs as root (PostgreSQL refuses root).
pg_tool() {
  local program="$PG_BIN/$1"; shift
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$program" "$@"; else "$program" "$@"; fi
}

pg_stop() {
  if [ -n "$PG_DIR" ]; then
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then pg_tool pg_ctl -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

# pg_start: the cluster on a free port, with the databases herald_pg1 and herald_pg3; returns 1 (PG_SKIPPED says why) when it cannot.
PG_SKIPPED=""
pg_start() {
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    PG_SKIPPED="no PostgreSQL binaries (initdb, pg_ctl) in ${PG_BIN:-/usr/lib/postgresql/*/bin}; install the postgresql package or set HERALD_PG_BIN"
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    PG_SKIPPED="running as root without a postgres user to run PostgreSQL as"
    return 1
  fi
  PG_DIR="$(mktemp -d)"
  # Stopped on exit, before whatever else the exit trap already does.
  local previous; eval "set -- $(trap -p EXIT)"; previous="${3:-}"
  trap "pg_stop; $previous" EXIT
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DIR"; fi
  PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if ! pg_tool initdb -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C >"$OUT/logs/pg-initdb.log" 2>&1 \
    || ! pg_tool pg_ctl -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=400" start >"$OUT/logs/pg-start.log" 2>&1; then
    cat "$OUT/logs/pg-initdb.log" "$OUT/logs/pg-start.log" "$PG_DIR/data/server.log" 2>/dev/null || true
    PG_SKIPPED="the PostgreSQL cluster did not start (see logs/pg-*.log)"
    pg_stop
    return 1
  fi
  local db
  for db in herald_pg1 herald_pg3; do pg_tool createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"; done
  echo "   postgresql: 127.0.0.1:$PG_PORT ($("$PG_BIN/postgres" --version))"
}

pg_conn() { echo "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$1"; }

# measure_pg LABEL SCENARIO ARGS...: one load generator run against PG_SERVERS (the first is the one measured; all are
# its replicas), with the database's counters; a failed check is recorded, not fatal.
measure_pg() {
  local label="$1" scenario="$2"; shift 2
  local first="${PG_SERVERS[0]}" replicas=() s
  for s in "${PG_SERVERS[@]}"; do check_alive "$s" "before \`$scenario\` ($label)"; replicas+=("${URL[$s]}"); done
  echo "-- $scenario / $label"
  timeout 900 "${LOADGEN[@]}" --url "${URL[$first]}" --label "$label" --server-pid "${PID[$first]}" --scenario "$scenario" \
    --replicas "$(IFS=,; echo "${replicas[*]}")" --pg "$PG_CONN" --json "$OUT/results/$label-$scenario.json" "$@" \
    || echo "   ($scenario / $label: exit code $?)"
  for s in "${PG_SERVERS[@]}"; do check_alive "$s" "during \`$scenario\` ($label)"; done
}

run_postgres_scenarios() {
  echo "== PostgreSQL"
  if ! pg_start; then
    echo "   PostgreSQL scenarios skipped: $PG_SKIPPED"
    echo "$PG_SKIPPED" >"$OUT/results/postgres-skipped.txt"
    return 0
  fi
  local fanout_k=1000 s
  if [ "$QUICK" = 1 ]; then fanout_k=200; fi

  # The disk's flush rate, the ceiling on durable commits (the report divides by it): one second per method.
  pg_tool pg_test_fsync -s 1 -f "$PG_DIR/fsync.test" >"$OUT/results/postgres-fsync.txt" 2>&1 || echo "   (pg_test_fsync: exit code $?)"

  PG_CONN="$(pg_conn herald_pg1)"
  PG_SERVERS=(herald-pg)
  PG_CONN_FOR[herald-pg]="$PG_CONN"
  start_server herald-pg
  measure_pg herald-pg stream --n "$STREAM_N" --repeat 5 --budget 20 --timeout 400
  measure_pg herald-pg many-tasks --t "$MANY_T" --n 500 --repeat 5 --budget 15 --timeout 300
  stop_server herald-pg

  PG_CONN="$(pg_conn herald_pg3)"
  PG_SERVERS=(herald-pg3-a herald-pg3-b herald-pg3-c)
  for s in "${PG_SERVERS[@]}"; do PG_CONN_FOR[$s]="$PG_CONN"; start_server "$s"; done
  measure_pg herald-pg3 replica-latency --rate 1000 --duration "$LATENCY_S" --timeout 300
  measure_pg herald-pg3 fanout --k "$fanout_k" --n 1000 --timeout 300
  measure_pg herald-pg3 many-tasks --t "$MANY_T" --n 500 --repeat 5 --budget 15 --timeout 300
  for s in "${PG_SERVERS[@]}"; do stop_server "$s"; done
  pg_stop
}
# ---- end of PostgreSQL -----------------------------------------------------------------------------------------

SERVERS=(herald herald-sqlite reference js)
START=$(date +%s)

echo "== servers"
for s in "${SERVERS[@]}"; do start_server "$s"; done

# Scenario by scenario, the servers in turn, so that whatever else the machine does
# affects them alike; Herald's stream and fan-out also over REST and gRPC (same process), next to JSON-RPC.
for s in "${SERVERS[@]}" herald-rest herald-grpc; do measure "$s" stream --n "$STREAM_N" --repeat 5 --budget 20 --timeout 400; done
for s in "${SERVERS[@]}" herald-rest herald-grpc; do measure "$s" fanout --k "$FANOUT_K" --n 1000 --timeout 300; done
for s in "${SERVERS[@]}"; do measure "$s" latency --rate 1000 --duration "$LATENCY_S" --timeout 300; done
for s in "${SERVERS[@]}"; do measure "$s" many-tasks --t "$MANY_T" --n 500 --repeat 5 --budget 15 --timeout 300; done
for s in "${SERVERS[@]}"; do stop_server "$s"; done
measure_telemetry_cost

run_postgres_scenarios

# Memory over time: 50,000 short tasks on fresh Herald servers with retention on (it must level off), and once
# without retention for contrast. Herald only: the other servers have no retention to compare.
EXTRA=("${CHURN_RETENTION[@]}")
for s in herald herald-sqlite; do
  start_server "$s"
  measure "$s" churn --tasks "$CHURN_TASKS" --concurrency 16 --settle 6 --timeout 600
  stop_server "$s"
done
EXTRA=()
start_server herald
timeout 900 "${LOADGEN[@]}" --url "${URL[herald]}" --label herald --server-pid "${PID[herald]}" --scenario churn --variant "retention off" \
  --tasks "$CHURN_TASKS" --concurrency 16 --timeout 600 --json "$OUT/results/herald-churn-kept.json" || echo "   (churn retention off: exit code $?)"
stop_server herald

# Idle memory is read on a fresh process per server and size, so that heap headroom left by
# the earlier scenarios does not hide (or inflate) what the open streams cost.
for c in $IDLE_C; do
  if [ "$c" -ge 5000 ]; then hold="$IDLE_HOLD_LARGE"; else hold="$IDLE_HOLD_SMALL"; fi
  for s in herald reference js; do
    start_server "$s"
    timeout 900 "${LOADGEN[@]}" --url "${URL[$s]}" --label "$s" --server-pid "${PID[$s]}" --scenario idle \
      --c "$c" --hold "$hold" --warmup 1 --timeout 300 --json "$OUT/results/$s-idle-$c.json" || echo "   (idle C=$c / $s: exit code $?)"
    check_alive "$s" "during \`idle\` C=$c"
    stop_server "$s"
  done
done
echo "== load scenarios done in $(( $(date +%s) - START )) s"

MICRO_ARGS=()
if [ "$MICRO" = 1 ]; then
  echo "== BenchmarkDotNet (short job)"
  dotnet build -c Release --nologo -v quiet bench/Herald.Benchmarks >"$OUT/logs/build-benchmarks.log" 2>&1 \
    || { cat "$OUT/logs/build-benchmarks.log"; exit 1; }
  (cd bench/Herald.Benchmarks && timeout 1800 dotnet bin/Release/net10.0/Herald.Benchmarks.dll \
    --filter '*' --job short --exporters github --artifacts "$OUT/micro") >"$OUT/logs/benchmarks.log" 2>&1 \
    || { tail -50 "$OUT/logs/benchmarks.log"; exit 1; }
  MICRO_ARGS=(--micro "$OUT/micro/results")
elif [ -d "$ROOT/artifacts/bench/micro-latest/results" ]; then
  MICRO_ARGS=(--micro "$ROOT/artifacts/bench/micro-latest/results")
fi
if [ "$MICRO" = 1 ]; then
  rm -rf "$ROOT/artifacts/bench/micro-latest" && cp -r "$OUT/micro" "$ROOT/artifacts/bench/micro-latest"
fi

DOC="$ROOT/docs/performance.md"
README_ARGS=(--readme "$ROOT/README.md")
if [ "$QUICK" = 1 ]; then DOC="$OUT/performance.md"; README_ARGS=(); fi
COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -vc '^?? artifacts/' || true)"
"${LOADGEN[@]}" report --dir "$OUT/results" --out "$DOC" --command "${COMMAND% }" --commit "$COMMIT" --dirty "$DIRTY" "${README_ARGS[@]}" \
  --notes "$ROOT/bench/performance-notes.md" --incidents "$INCIDENTS" --node-version "$(node --version)" "${MICRO_ARGS[@]}"
echo "== done in $(( $(date +%s) - START )) s; results in $OUT"
