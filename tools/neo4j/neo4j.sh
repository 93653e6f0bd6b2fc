#!/usr/bin/env bash
# A local Neo4j Community server (5.26 LTS, Java 17) for development and CI, without Docker.
#
#   tools/neo4j/neo4j.sh fetch    download Neo4j from Maven Central and build the launcher (once)
#   tools/neo4j/neo4j.sh start    start it in the background, wait until Bolt answers
#   tools/neo4j/neo4j.sh stop     stop it (SIGTERM, then SIGKILL after NEO4J_STOP_TIMEOUT s)
#   tools/neo4j/neo4j.sh status   say whether it runs and answers
#
# Environment:
#   NEO4J_PORT           Bolt port on 127.0.0.1 (default 7687)
#   NEO4J_START_TIMEOUT  seconds to wait for Bolt (default 120)
#   NEO4J_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 30)
#   NEO4J_HEAP           JVM heap (default 2g)
#   NEO4J_PAGECACHE      Neo4j page cache (default 256m)
#   NEO4J_DATA           data folder to keep (default: a temp folder, deleted on stop)
#   NEO4J_AUTH           on: require a login (neo4j / initial password neo4j); default off
#   MAVEN_OPTS_EXTRA     extra arguments for mvn (e.g. -o to stay offline)
#
# Auth is off and Bolt is unencrypted: point the driver at bolt://127.0.0.1:$NEO4J_PORT, no auth.
# Build output, pid and log files live in tools/neo4j/target/ (git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET="$HERE/target"
PORT="${NEO4J_PORT:-7687}"
RUN_DIR="$TARGET/run"
PID_FILE="$RUN_DIR/neo4j-$PORT.pid"
LOG_FILE="$RUN_DIR/neo4j-$PORT.log"
STAMP="$TARGET/.fetched"
MAIN_CLASS="claimgraph.KgNeo4jServer"

die() { echo "neo4j.sh: $*" >&2; exit 1; }

port_answers() {
  # true if something accepts TCP connections on 127.0.0.1:$PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

running_pid() {
  # prints the pid from the pid file if that process is alive and is our server
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q "$MAIN_CLASS" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

fetch_inputs_hash() {
  cat "$HERE/pom.xml" "$HERE"/src/main/java/claimgraph/*.java | sha256sum | cut -d' ' -f1
}

cmd_fetch() {
  command -v java >/dev/null || die "java not found (Neo4j 5.26 needs Java 17 or 21)"
  local want
  want="$(fetch_inputs_hash)"
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -d "$TARGET/lib" && -d "$TARGET/classes" ]]; then
    echo "neo4j.sh: already fetched ($(ls "$TARGET/lib" | wc -l) jars in $TARGET/lib)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (install Maven; it downloads Neo4j from Maven Central)"
  local t0=$SECONDS
  # shellcheck disable=SC2086
  (cd "$HERE" && mvn -B -q -Dstyle.color=never ${MAVEN_OPTS_EXTRA:-} package) || die "mvn package failed (see output above)"
  echo "$want" >"$STAMP"
  echo "neo4j.sh: fetched Neo4j into $TARGET/lib in $((SECONDS - t0)) s"
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    if port_answers; then
      echo "neo4j.sh: already running (pid $pid) on bolt://127.0.0.1:$PORT"
      return 0
    fi
  fi
  if port_answers; then
    die "port $PORT on 127.0.0.1 is already taken by another process (set NEO4J_PORT, or use that server via NEO4J_URI)"
  fi
  [[ -f "$STAMP" && -d "$TARGET/lib" ]] || cmd_fetch
  mkdir -p "$RUN_DIR"
  : >"$LOG_FILE"
  local t0
  t0=$(date +%s%3N)
  # setsid: the server survives the shell that started it and gets no terminal signals.
  setsid java "-Xmx${NEO4J_HEAP:-2g}" -XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError \
    -cp "$TARGET/classes:$TARGET/lib/*" "$MAIN_CLASS" "$PORT" "${NEO4J_DATA:-}" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + ${NEO4J_START_TIMEOUT:-120}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      echo "neo4j.sh: the server exited during startup; last lines of $LOG_FILE:" >&2
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    if grep -q '^READY ' "$LOG_FILE" && port_answers; then
      local ms=$(($(date +%s%3N) - t0))
      printf 'neo4j.sh: started (pid %s) on bolt://127.0.0.1:%s in %d.%01d s; log %s\n' \
        "$pid" "$PORT" $((ms / 1000)) $((ms % 1000 / 100)) "$LOG_FILE"
      return 0
    fi
    sleep 0.25
  done
  echo "neo4j.sh: Bolt did not answer on 127.0.0.1:$PORT within ${NEO4J_START_TIMEOUT:-120} s; last lines of $LOG_FILE:" >&2
  tail -n 30 "$LOG_FILE" >&2
  kill -TERM "$pid" 2>/dev/null || true
  exit 1
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    echo "neo4j.sh: not running on port $PORT (no live pid file)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + ${NEO4J_STOP_TIMEOUT:-30}))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "neo4j.sh: pid $pid ignored SIGTERM for ${NEO4J_STOP_TIMEOUT:-30} s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  echo "neo4j.sh: stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_answers; then
      echo "neo4j.sh: running (pid $pid), bolt://127.0.0.1:$PORT answers"
      return 0
    fi
    echo "neo4j.sh: pid $pid alive but bolt://127.0.0.1:$PORT does not answer (starting?)"
    return 1
  fi
  if port_answers; then
    echo "neo4j.sh: not started by this script, but something answers on 127.0.0.1:$PORT"
    return 0
  fi
  echo "neo4j.sh: not running on port $PORT"
  return 3
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 {fetch|start|stop|status}" >&2; exit 2 ;;
esac
