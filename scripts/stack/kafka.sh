#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) bound to 127.0.0.1.
#
#   kafka.sh install                      fetch the jars from Maven Central into the tool cache (once per version)
#   kafka.sh start                        format storage once, start the broker, wait until it answers
#   kafka.sh stop                         graceful shutdown (SIGTERM), so the logs are flushed and closed cleanly
#   kafka.sh status                       exit 0 when running and answering, 1 otherwise
#   kafka.sh create-topic NAME PARTITIONS create if missing (RF 1), grow the partition count if lower
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
KAFKA_CONF_DIR="$LIKEPIPE_STATE/kafka"
KAFKA_CONFIG="$KAFKA_CONF_DIR/server.properties"
KAFKA_DATA="$DATA_DIR/kafka"
KAFKA_LOG_DIRS="$KAFKA_DATA/logs"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA/cluster.id"
KAFKA_LOG="$LOG_DIR/kafka.log"
# JVM stdout/stderr: only crashes and errors from before log4j is up land here.
KAFKA_OUT="$LOG_DIR/kafka.out"
KAFKA_HEAP_OPTS="${LIKEPIPE_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${LIKEPIPE_KAFKA_START_TIMEOUT:-120}"
# A clean shutdown of a combined node takes a few seconds; SIGKILL only as a last resort, since it
# forces log recovery on the next start.
KAFKA_STOP_TIMEOUT="${LIKEPIPE_KAFKA_STOP_TIMEOUT:-120}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

MAIN_BROKER=kafka.Kafka
MAIN_STORAGE=kafka.tools.StorageTool
MAIN_TOPICS=org.apache.kafka.tools.TopicCommand

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

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

write_config() {
  mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_LOG_DIRS"
  # Regenerated on every start so port overrides from the environment always apply.
  cat >"$KAFKA_CONFIG.tmp" <<EOF
# Generated by scripts/stack/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
# Static voter set: a single-node quorum that needs no --standalone bootstrap at format time.
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs=$KAFKA_LOG_DIRS
num.partitions=1
auto.create.topics.enable=false
default.replication.factor=1
min.insync.replicas=1

# Internal topics default to RF 3 and would never be created on one node.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

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

  cat >"$KAFKA_CONF_DIR/tools-log4j2.properties" <<EOF
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
  cat >"$KAFKA_CONF_DIR/admin.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# ---------------------------------------------------------------------------------------------- runtime

# run-class equivalent: small heap and C1 only, because CLI JVMs are short-lived and startup-bound.
kafka_tool() {
  local main=$1; shift
  [[ -f "$KAFKA_MARKER" ]] || die "Kafka $KAFKA_VERSION is not installed; run: $0 install"
  [[ -f "$KAFKA_CONF_DIR/tools-log4j2.properties" ]] || write_config
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_CONF_DIR/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$main" "$@"
}

# The pid file can outlive the broker (reboot, kill -9) and the pid be reused by something else,
# so a live pid only counts if it is our broker JVM.
kafka_running() {
  pid_alive kafka || return 1
  local pid; pid=$(cat "$RUN_DIR/kafka.pid")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- " $MAIN_BROKER "
}

# Serialises start/stop, so two concurrent `up`s cannot both launch a broker and fight over the pid file.
lock_runtime() { take_lock 7 "$RUN_DIR/kafka.lock" $((KAFKA_START_TIMEOUT + KAFKA_STOP_TIMEOUT)); }

# A listening socket is not enough: the broker accepts connections before it has caught up with the
# metadata log. Listing topics proves the broker serves metadata requests.
broker_answers() {
  port_open "$KAFKA_PORT" || return 1
  kafka_tool "$MAIN_TOPICS" --bootstrap-server "$BOOTSTRAP" --command-config "$KAFKA_CONF_DIR/admin.properties" \
    --list >/dev/null 2>&1
}

format_storage() {
  [[ -f "$KAFKA_LOG_DIRS/meta.properties" ]] && return 0
  # The id is created once and kept next to the data, so a format retried after a failure reuses it.
  if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    kafka_tool "$MAIN_STORAGE" random-uuid >"$KAFKA_CLUSTER_ID_FILE.tmp"
    mv "$KAFKA_CLUSTER_ID_FILE.tmp" "$KAFKA_CLUSTER_ID_FILE"
  fi
  local id; id=$(tr -d '[:space:]' <"$KAFKA_CLUSTER_ID_FILE")
  log "formatting KRaft storage in $KAFKA_LOG_DIRS (cluster id $id)"
  kafka_tool "$MAIN_STORAGE" format --cluster-id "$id" --config "$KAFKA_CONFIG" --ignore-formatted >/dev/null
}

kafka_start() {
  lock_runtime
  if kafka_running; then
    # Also covers a start that is still in progress from another invocation.
    local pid; pid=$(cat "$RUN_DIR/kafka.pid")
    wait_until "$KAFKA_START_TIMEOUT" "running kafka (pid $pid) to answer on $BOOTSTRAP; see $KAFKA_LOG" broker_answers
    log "kafka already running (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  rm -f "$RUN_DIR/kafka.pid"
  ports_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"

  kafka_install
  ensure_java
  write_config
  format_storage

  log "starting kafka $KAFKA_VERSION on $BOOTSTRAP"
  local -a jvm_opts
  read -r -a jvm_opts <<<"$KAFKA_HEAP_OPTS"
  # Same GC settings as kafka-run-class.sh.
  jvm_opts+=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_CONF_DIR/log4j2.properties")
  printf '\n=== %s start kafka %s\n' "$(date -Is)" "$KAFKA_VERSION" >>"$KAFKA_OUT"
  spawn kafka "$KAFKA_OUT" java "${jvm_opts[@]}" -cp "$KAFKA_LIBS/*" "$MAIN_BROKER" "$KAFKA_CONFIG"
  wait_started kafka "$KAFKA_START_TIMEOUT" "$KAFKA_OUT" "$KAFKA_LOG" -- broker_answers
  log "kafka up (pid $(cat "$RUN_DIR/kafka.pid")) on $BOOTSTRAP"
}

kafka_stop() {
  lock_runtime
  if [[ -f "$RUN_DIR/kafka.pid" ]] && ! kafka_running; then
    rm -f "$RUN_DIR/kafka.pid"   # stale: never signal a pid that is not our broker
  fi
  [[ -f "$RUN_DIR/kafka.pid" ]] || { log "kafka not running"; return 0; }
  log "stopping kafka (pid $(cat "$RUN_DIR/kafka.pid"))"
  stop_pid kafka "$KAFKA_STOP_TIMEOUT"
  log "kafka stopped"
}

kafka_status() {
  if kafka_running; then
    if broker_answers; then
      echo "kafka $KAFKA_VERSION running (pid $(cat "$RUN_DIR/kafka.pid")) on $BOOTSTRAP"
      return 0
    fi
    echo "kafka process alive (pid $(cat "$RUN_DIR/kafka.pid")) but not answering on $BOOTSTRAP"
    return 1
  fi
  echo "kafka stopped"
  return 1
}

partition_count() {
  kafka_tool "$MAIN_TOPICS" --bootstrap-server "$BOOTSTRAP" --command-config "$KAFKA_CONF_DIR/admin.properties" \
    --describe --topic "$1" 2>/dev/null | sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -1
}

kafka_create_topic() {
  local name=${1:-} parts=${2:-}
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,249}$ ]] || die "invalid topic name: '$name'"
  [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "partitions must be a positive integer, got '$parts'"
  kafka_running || die "kafka is not running; run: $0 start"
  local topics=(kafka_tool "$MAIN_TOPICS" --bootstrap-server "$BOOTSTRAP"
    --command-config "$KAFKA_CONF_DIR/admin.properties")

  "${topics[@]}" --create --if-not-exists --topic "$name" --partitions "$parts" \
    --replication-factor 1 --config min.insync.replicas=1 >/dev/null
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
    log "topic $name: $have partitions"
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
  create-topic) [[ $# -eq 2 ]] || usage; kafka_create_topic "$@" ;;
  run-class) [[ $# -ge 1 ]] || usage; kafka_tool "$@" ;;
  *) usage ;;
esac
