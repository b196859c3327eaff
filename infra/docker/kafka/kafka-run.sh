#!/bin/bash
# Starts a single KRaft node from the environment, as the apache/kafka image does:
# KAFKA_FOO_BAR=x becomes foo.bar=x (`__` -> `_`, `___` -> `-`), CLUSTER_ID formats the
# storage on first start, KAFKA_HEAP_OPTS sizes the heap. Without settings it runs a
# single node on :9092 (broker) and :9093 (controller), advertised as localhost:9092.
set -euo pipefail

config=/opt/kafka/config/server.properties
defaults=(
    "process.roles=broker,controller" "node.id=1" "controller.quorum.voters=1@localhost:9093"
    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093" "advertised.listeners=PLAINTEXT://localhost:9092"
    "controller.listener.names=CONTROLLER" "inter.broker.listener.name=PLAINTEXT"
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    "log.dirs=/var/lib/kafka/data" "offsets.topic.replication.factor=1"
    "transaction.state.log.replication.factor=1" "transaction.state.log.min.isr=1"
    "group.initial.rebalance.delay.ms=0"
)
not_settings=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_LOG4J_OPTS "

declare -A settings
for line in "${defaults[@]}"; do
    settings[${line%%=*}]=${line#*=}
done
for name in $(compgen -e); do
    [[ $name == KAFKA_* && $not_settings != *" $name "* ]] || continue
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//___/-}
    key=${key//__/@}
    key=${key//_/.}
    settings[${key//@/_}]=${!name}
done
: >"$config"
for key in "${!settings[@]}"; do
    printf '%s=%s\n' "$key" "${settings[$key]}" >>"$config"
done

# shellcheck disable=SC2206  # KAFKA_HEAP_OPTS is a list of JVM flags
java=(java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms64m} -XX:+UseSerialGC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:/opt/kafka/config/log4j.properties" -cp '/opt/kafka/libs/*')
"${java[@]}" kafka.tools.StorageTool format --ignore-formatted -c "$config" \
    -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" >/dev/null
exec "${java[@]}" kafka.Kafka "$config"
