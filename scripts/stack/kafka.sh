#!/usr/bin/env bash
# Apache Kafka (KRaft, combined broker+controller nodes) bound to 127.0.0.1: one node, or three forming one
# quorum with LIKEPIPE_KAFKA_BROKERS=3 (ports in scripts/lib/common.sh).
#
#   kafka.sh install                      fetch the jars from Maven Central into the tool cache (once per version)
#   kafka.sh start                        format storage once, start every broker, wait until each answers
#   kafka.sh stop                         graceful shutdown (SIGTERM) of every broker, so logs close cleanly
#   kafka.sh status                       exit 0 when every broker is running and answering, 1 otherwise
#   kafka.sh start-broker|stop-broker|kill-broker|status-broker N   one broker (1-based); kill is SIGKILL
#   kafka.sh create-topic NAME PARTITIONS create if missing (RF = brokers), grow the partition count if lower
#   kafka.sh run-class MAIN [ARGS...]     run a Kafka CLI class with the cached classpath, e.g.
#                                         org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# There is no Kafka tarball here: the broker and its tools are plain Maven artifacts, so Maven resolves the
# same jar set the distribution ships into $LIKEPIPE_CACHE/kafka-<version>/libs.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# The jar set is images/kafka/pom.xml's, the file the likepipe/kafka image resolves too; its versions are the
# defaults here. Changing the Kafka version gives a fresh cache directory.
KAFKA_POM="$LIKEPIPE_ROOT/images/kafka/pom.xml"
# pom_property NAME: the default of <NAME> in the pom's <properties>
pom_property() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" "$KAFKA_POM" | head -n 1; }
KAFKA_VERSION="${LIKEPIPE_KAFKA_VERSION:-$(pom_property kafka.version)}"
LOG4J_VERSION="${LIKEPIPE_KAFKA_LOG4J_VERSION:-$(pom_property log4j.version)}"
[[ -n "$KAFKA_VERSION" && -n "$LOG4J_VERSION" ]] || die "no kafka.version or log4j.version in $KAFKA_POM"

KAFKA_HOME="$LIKEPIPE_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_MARKER="$KAFKA_HOME/.likepipe-complete"
# The CLI tools' settings (and, for one broker, the broker's own config) live here.
KAFKA_TOOLS_DIR="$LIKEPIPE_STATE/kafka"
# Every node of a cluster must be formatted with the same id.
if ((KAFKA_BROKER_COUNT == 1)); then
  KAFKA_CLUSTER_ID_FILE="$DATA_DIR/kafka/cluster.id"
  DEFAULT_HEAP="-Xms256m -Xmx1g"
else
  KAFKA_CLUSTER_ID_FILE="$DATA_DIR/kafka-cluster.id"
  # Three JVMs share a small machine with everything else.
  DEFAULT_HEAP="-Xms128m -Xmx512m"
fi
KAFKA_HEAP_OPTS="${LIKEPIPE_KAFKA_HEAP_OPTS:-$DEFAULT_HEAP}"
KAFKA_START_TIMEOUT="${LIKEPIPE_KAFKA_START_TIMEOUT:-120}"
# A clean shutdown of a combined node takes a few seconds; SIGKILL only as a last resort, since it
# forces log recovery on the next start.
KAFKA_STOP_TIMEOUT="${LIKEPIPE_KAFKA_STOP_TIMEOUT:-120}"
BOOTSTRAP="$KAFKA_BOOTSTRAP_SERVERS"
# Replication: every broker holds every partition; with three, a write needs two of them (acks=all), so one
# may die without losing an acknowledged like and without stopping writes.
REPLICATION=$KAFKA_BROKER_COUNT
MIN_ISR=$((KAFKA_BROKER_COUNT >= 3 ? 2 : 1))
VOTERS=""
for ((i = 1; i <= KAFKA_BROKER_COUNT; i++)); do VOTERS+="${VOTERS:+,}$i@127.0.0.1:$(kafka_controller_port "$i")"; done

# use_broker N: points the per-broker variables at broker N. A single broker keeps the names it always had
# (pid file `kafka`, .likepipe/kafka, data/kafka, logs/kafka.log), so nothing else has to know.
use_broker() {
  if ! [[ "$1" =~ ^[1-9]$ ]] || (($1 > KAFKA_BROKER_COUNT)); then
    die "no broker '$1': LIKEPIPE_KAFKA_BROKERS is $KAFKA_BROKER_COUNT"
  fi
  NODE_ID=$1
  if ((KAFKA_BROKER_COUNT == 1)); then NAME=kafka; else NAME=kafka-$1; fi
  NODE_PORT=$(kafka_port "$1")
  NODE_CONTROLLER_PORT=$(kafka_controller_port "$1")
  KAFKA_CONF_DIR="$LIKEPIPE_STATE/$NAME"
  KAFKA_CONFIG="$KAFKA_CONF_DIR/server.properties"
  KAFKA_LOG_DIRS="$DATA_DIR/$NAME/logs"
  KAFKA_LOG="$LOG_DIR/$NAME.log"
  # JVM stdout/stderr: only crashes and errors from before log4j is up land here.
  KAFKA_OUT="$LOG_DIR/$NAME.out"
}

MAIN_BROKER=kafka.Kafka
MAIN_STORAGE=kafka.tools.StorageTool
MAIN_TOPICS=org.apache.kafka.tools.TopicCommand

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ensure_java() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found: $(java -version 2>&1 | head -1)"
}

# ---------------------------------------------------------------------------------------------- install

kafka_install() {
  [[ -f "$KAFKA_MARKER" ]] && return 0
  ensure_java
  command -v mvn >/dev/null 2>&1 || apt_install maven

  # Two `up`s racing on a fresh machine must not both download into the same directory.
  take_lock 8 "$LIKEPIPE_CACHE/.kafka-$KAFKA_VERSION.lock" 900
  if [[ -f "$KAFKA_MARKER" ]]; then drop_lock 8; return 0; fi

  log "installing Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME (first time only; takes a few minutes)"
  # Build beside the final directory and rename it into place, so an interrupted download never
  # looks installed; a leftover unfinished directory is simply rebuilt.
  local work="$KAFKA_HOME.partial"
  rm -rf "$work" "$KAFKA_HOME"
  mkdir -p "$work"
  # A copy, so Maven works beside the download and never in the repository.
  cp "$KAFKA_POM" "$work/pom.xml"
  local mvn_log="$LOG_DIR/kafka-install.log"
  if ! mvn -B -q -Dstyle.color=never -f "$work/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      -Dlog4j.version="$LOG4J_VERSION" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$work/libs" >"$mvn_log" 2>&1; then
    tail -n 30 "$mvn_log" >&2
    die "Maven could not fetch Kafka $KAFKA_VERSION (full output: $mvn_log)"
  fi
  local jar
  for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" "kafka-clients-$KAFKA_VERSION.jar" \
             "log4j-core-$LOG4J_VERSION.jar" "log4j-slf4j-impl-$LOG4J_VERSION.jar"; do
    [[ -f "$work/libs/$jar" ]] || die "Kafka download incomplete: $jar missing in $work/libs"
  done
  mv "$work" "$KAFKA_HOME"
  printf 'kafka %s, log4j %s, %s jars\n' "$KAFKA_VERSION" "$LOG4J_VERSION" \
    "$(find "$KAFKA_LIBS" -name '*.jar' | wc -l)" >"$KAFKA_MARKER"
  drop_lock 8
  log "Kafka $KAFKA_VERSION installed ($(du -sh "$KAFKA_LIBS" | cut -f1))"
}

# ---------------------------------------------------------------------------------------------- config

# write_config: the selected broker's (use_broker) config, and the CLI tools'
write_config() {
  mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_LOG_DIRS" "$KAFKA_TOOLS_DIR"
  # Regenerated on every start so port overrides from the environment always apply.
  cat >"$KAFKA_CONFIG.tmp" <<EOF
# Generated by scripts/stack/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=$NODE_ID
# Static voter set (every node a voter), so formatting needs no --standalone or --initial-controllers.
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$NODE_PORT,CONTROLLER://127.0.0.1:$NODE_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$NODE_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs=$KAFKA_LOG_DIRS
num.partitions=1
auto.create.topics.enable=false
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR

# Internal topics default to RF 3, which one node could never create; with three, the consumer groups' offsets
# survive a broker's death like the likes do.
offsets.topic.replication.factor=$REPLICATION
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR

# A single consumer should not wait 3 s for more group members before getting partitions.
group.initial.rebalance.delay.ms=0
EOF
  mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"

  cat >"$KAFKA_CONF_DIR/log4j2.properties" <<EOF
# Broker logging: INFO into one size-capped file; nothing on stdout.
# Log4j's own shutdown hook would stop the appender while Kafka is still logging its shutdown;
# every event is flushed as written (immediateFlush), so nothing is lost without the hook.
shutdownHook = disable
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_LOG
appender.file.filePattern = $KAFKA_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3

rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file

# Per-request logging is noise at INFO.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestchannel.name = kafka.network.RequestChannel\$
logger.requestchannel.level = WARN
EOF

  cat >"$KAFKA_TOOLS_DIR/tools-log4j2.properties" <<EOF
# CLI tools: only warnings and errors, on stderr, so tool stdout stays parseable.
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = stderr
EOF

  # Short client timeouts so a readiness probe against a starting broker fails fast and is retried.
  cat >"$KAFKA_TOOLS_DIR/admin.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# ---------------------------------------------------------------------------------------------- runtime

# run-class equivalent: small heap and C1 only, because CLI JVMs are short-lived and startup-bound.
kafka_tool() {
  local main=$1; shift
  [[ -f "$KAFKA_MARKER" ]] || die "Kafka $KAFKA_VERSION is not installed; run: $0 install"
  [[ -f "$KAFKA_TOOLS_DIR/tools-log4j2.properties" ]] || { use_broker 1; write_config; }
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_DIR/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$main" "$@"
}

# kafka_running NAME: the pid file can outlive the broker (reboot, kill -9) and the pid be reused by something
# else, so a live pid only counts if it is our broker JVM.
kafka_running() {
  pid_alive "$1" || return 1
  local pid; pid=$(cat "$RUN_DIR/$1.pid")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- " $MAIN_BROKER "
}

# Serialises start/stop, so two concurrent `up`s cannot both launch a broker and fight over the pid file.
lock_runtime() { take_lock 7 "$RUN_DIR/kafka.lock" $((KAFKA_START_TIMEOUT + KAFKA_STOP_TIMEOUT)); }

# broker_answers PORT: a listening socket is not enough, the broker accepts connections before it has caught
# up with the metadata log. Listing topics through that broker alone proves it serves metadata requests.
broker_answers() {
  port_open "$1" || return 1
  kafka_tool "$MAIN_TOPICS" --bootstrap-server "127.0.0.1:$1" \
    --command-config "$KAFKA_TOOLS_DIR/admin.properties" --list >/dev/null 2>&1
}

format_storage() {
  [[ -f "$KAFKA_LOG_DIRS/meta.properties" ]] && return 0
  # The id is created once and kept next to the data, so a format retried after a failure reuses it.
  if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    mkdir -p "$(dirname "$KAFKA_CLUSTER_ID_FILE")"
    kafka_tool "$MAIN_STORAGE" random-uuid >"$KAFKA_CLUSTER_ID_FILE.tmp"
    mv "$KAFKA_CLUSTER_ID_FILE.tmp" "$KAFKA_CLUSTER_ID_FILE"
  fi
  local id; id=$(tr -d '[:space:]' <"$KAFKA_CLUSTER_ID_FILE")
  log "formatting KRaft storage in $KAFKA_LOG_DIRS (cluster id $id)"
  kafka_tool "$MAIN_STORAGE" format --cluster-id "$id" --config "$KAFKA_CONFIG" --ignore-formatted >/dev/null
}

# spawn_broker N: launches broker N unless it runs already; does not wait for it, because the first node of a
# three-voter quorum cannot answer before a second one is up.
spawn_broker() {
  use_broker "$1"
  if kafka_running "$NAME"; then return 0; fi
  rm -f "$RUN_DIR/$NAME.pid"
  ports_free "$NAME" "$NODE_PORT" "$NODE_CONTROLLER_PORT"
  write_config
  format_storage
  log "starting $NAME ($KAFKA_VERSION) on 127.0.0.1:$NODE_PORT"
  local -a jvm_opts
  read -r -a jvm_opts <<<"$KAFKA_HEAP_OPTS"
  # Same GC settings as kafka-run-class.sh.
  jvm_opts+=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_CONF_DIR/log4j2.properties")
  printf '\n=== %s start %s %s\n' "$(date -Is)" "$NAME" "$KAFKA_VERSION" >>"$KAFKA_OUT"
  spawn "$NAME" "$KAFKA_OUT" java "${jvm_opts[@]}" -cp "$KAFKA_LIBS/*" "$MAIN_BROKER" "$KAFKA_CONFIG"
}

# await_broker N: waits until broker N answers; dies with its logs when it exits first
await_broker() {
  use_broker "$1"
  wait_started "$NAME" "$KAFKA_START_TIMEOUT" "$KAFKA_OUT" "$KAFKA_LOG" -- broker_answers "$NODE_PORT"
  log "$NAME up (pid $(cat "$RUN_DIR/$NAME.pid")) on 127.0.0.1:$NODE_PORT"
}

# kafka_start [N]: every broker, or broker N
kafka_start() {
  lock_runtime
  kafka_install
  ensure_java
  local brokers i
  if (($# > 0)); then brokers=$1; else brokers=$(seq 1 "$KAFKA_BROKER_COUNT"); fi
  for i in $brokers; do spawn_broker "$i"; done
  for i in $brokers; do await_broker "$i"; done
}

# stop_broker NAME [TIMEOUT_S]: graceful stop of one broker by pid-file name
stop_broker() {
  if [[ -f "$RUN_DIR/$1.pid" ]] && ! kafka_running "$1"; then
    rm -f "$RUN_DIR/$1.pid"   # stale: never signal a pid that is not our broker
  fi
  [[ -f "$RUN_DIR/$1.pid" ]] || { log "$1 not running"; return 0; }
  log "stopping $1 (pid $(cat "$RUN_DIR/$1.pid"))"
  stop_pid "$1" "${2:-$KAFKA_STOP_TIMEOUT}"
  log "$1 stopped"
}

# kafka_stop [N]: broker N, or every broker this state dir has a pid file for (whatever LIKEPIPE_KAFKA_BROKERS
# says now), all at once. Whichever node of a quorum is left last cannot finish its controlled shutdown (no
# controller answers it any more) and would wait forever, so a whole-cluster stop gives each node 30 s before
# SIGKILL: every acknowledged record is on two nodes and in the page cache by then, and the next start recovers.
kafka_stop() {
  lock_runtime
  if (($# > 0)); then use_broker "$1"; stop_broker "$NAME"; return; fi
  local f pids=() timeout=$KAFKA_STOP_TIMEOUT
  [[ -f "$RUN_DIR/kafka-1.pid" || -f "$RUN_DIR/kafka-2.pid" || -f "$RUN_DIR/kafka-3.pid" ]] &&
    timeout=${LIKEPIPE_KAFKA_CLUSTER_STOP_TIMEOUT:-30}
  for f in "$RUN_DIR"/kafka.pid "$RUN_DIR"/kafka-[0-9].pid; do
    [[ -f "$f" ]] || continue
    f=${f##*/}
    stop_broker "${f%.pid}" "$timeout" &
    pids+=($!)
  done
  ((${#pids[@]} > 0)) || { log "kafka not running"; return 0; }
  local p rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

# kafka_kill N: SIGKILL, a broker dying without a clean shutdown (failover tests)
kafka_kill() {
  lock_runtime
  use_broker "$1"
  kafka_running "$NAME" || { log "$NAME not running"; rm -f "$RUN_DIR/$NAME.pid"; return 0; }
  local pid; pid=$(cat "$RUN_DIR/$NAME.pid")
  log "killing $NAME (pid $pid) with SIGKILL"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null && pid_alive "$NAME"; do sleep 0.1; done
  rm -f "$RUN_DIR/$NAME.pid"
}

# kafka_status [N]: broker N, or every broker
kafka_status() {
  local brokers i rc=0
  if (($# > 0)); then brokers=$1; else brokers=$(seq 1 "$KAFKA_BROKER_COUNT"); fi
  for i in $brokers; do
    use_broker "$i"
    if kafka_running "$NAME"; then
      if broker_answers "$NODE_PORT"; then
        echo "$NAME $KAFKA_VERSION running (pid $(cat "$RUN_DIR/$NAME.pid")) on 127.0.0.1:$NODE_PORT"
        continue
      fi
      echo "$NAME process alive (pid $(cat "$RUN_DIR/$NAME.pid")) but not answering on 127.0.0.1:$NODE_PORT"
    else
      echo "$NAME stopped"
    fi
    rc=1
  done
  return "$rc"
}

partition_count() {
  kafka_tool "$MAIN_TOPICS" --bootstrap-server "$BOOTSTRAP" --command-config "$KAFKA_TOOLS_DIR/admin.properties" \
    --describe --topic "$1" 2>/dev/null | sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -1
}

kafka_create_topic() {
  local name=${1:-} parts=${2:-}
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,249}$ ]] || die "invalid topic name: '$name'"
  [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "partitions must be a positive integer, got '$parts'"
  use_broker 1
  kafka_running "$NAME" || die "kafka is not running; run: $0 start"
  local topics=(kafka_tool "$MAIN_TOPICS" --bootstrap-server "$BOOTSTRAP"
    --command-config "$KAFKA_TOOLS_DIR/admin.properties")

  "${topics[@]}" --create --if-not-exists --topic "$name" --partitions "$parts" \
    --replication-factor "$REPLICATION" --config min.insync.replicas="$MIN_ISR" >/dev/null
  # The broker's metadata cache can trail the controller by a moment right after a create.
  local have=""
  local deadline=$((SECONDS + 30))
  until have=$(partition_count "$name") && [[ -n "$have" ]]; do
    ((SECONDS < deadline)) || die "topic $name not visible after creation"
    sleep 0.5
  done
  if ((have < parts)); then
    log "topic $name: increasing partitions $have -> $parts"
    "${topics[@]}" --alter --topic "$name" --partitions "$parts" >/dev/null
  elif ((have > parts)); then
    log "topic $name has $have partitions (> $parts requested); Kafka cannot reduce them, leaving as is"
  else
    log "topic $name: $have partitions (replication factor $REPLICATION, min.insync.replicas $MIN_ISR)"
  fi
}

# ---------------------------------------------------------------------------------------------- main

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  install) kafka_install; log "Kafka $KAFKA_VERSION ready in $KAFKA_HOME" ;;
  start) kafka_start ;;
  stop) kafka_stop ;;
  restart) kafka_stop; kafka_start ;;
  status) kafka_status ;;
  start-broker) [[ $# -eq 1 ]] || usage; use_broker "$1"; kafka_start "$1" ;;
  stop-broker) [[ $# -eq 1 ]] || usage; kafka_stop "$1" ;;
  kill-broker) [[ $# -eq 1 ]] || usage; kafka_kill "$1" ;;
  status-broker) [[ $# -eq 1 ]] || usage; use_broker "$1"; kafka_status "$1" ;;
  create-topic) [[ $# -eq 2 ]] || usage; kafka_create_topic "$@" ;;
  run-class) [[ $# -ge 1 ]] || usage; kafka_tool "$@" ;;
  *) usage ;;
esac
