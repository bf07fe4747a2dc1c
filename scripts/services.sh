#!/usr/bin/env bash
# Make sure the services the integration tests talk to are up; start any that is down.
set -euo pipefail

up() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Outside CI a missing service is not fatal: the tests that need it are skipped.
missing() {
  echo "$1 is not installed here; its tests will be skipped (and fail under CI=true)" >&2
  [ "${CI:-}" != "true" ] || exit 1
}

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 1; done
  echo "$name did not come up on port $port" >&2
  return 1
}

if ! up 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    wait_for 5432 PostgreSQL
  else
    missing PostgreSQL
  fi
fi
if ! up 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "starting RabbitMQ"
    rabbitmq-server -detached
    wait_for 5672 RabbitMQ
  else
    missing RabbitMQ
  fi
fi
if ! up 6379; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for 6379 Redis
  else
    missing Redis
  fi
fi
echo "services checked: PostgreSQL, RabbitMQ, Redis"
