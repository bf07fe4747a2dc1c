#!/usr/bin/env bash
# Make sure the services the integration tests talk to are up; start any that is down.
set -euo pipefail

up() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 1; done
  echo "$name did not come up on port $port" >&2
  return 1
}

if ! up 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for 5432 PostgreSQL
fi
if ! up 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  wait_for 5672 RabbitMQ
fi
if ! up 6379; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 6379 Redis
fi
echo "services: PostgreSQL, RabbitMQ and Redis are up"
