#!/bin/bash
# The official image's probe, with a small JVM: answers once the broker serves requests.
exec java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' \
    -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties \
    kafka.admin.BrokerApiVersionsCommand "$@"
