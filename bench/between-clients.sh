#!/usr/bin/env bash
# PUBLISH fan-out (1, 10, 100 subscribers) and a BLPOP/LPUSH ping-pong over TCP, against
# fakeredis-server and redis-server in the same run: the two servers take turns, ROUNDS
# times each (fake, redis, fake, redis, ...), and the median of each is compared.
#
#   bench/between-clients.sh            # 3 rounds
#   ROUNDS=5 bench/between-clients.sh
#
# Needs redis-server and redis-cli (Debian: redis-server, redis-tools) and cargo.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
source "$(dirname "$0")/servers.sh"
start_servers --example between_clients_bench
client="$target/release/examples/between_clients_bench"

for r in $(seq 1 "$ROUNDS"); do
    "$client" "$fake_port" >>"$tmp/fake.txt"
    "$client" "$redis_port" >>"$tmp/redis.txt"
done

echo
echo "between clients over TCP: medians of $ROUNDS alternating rounds; redis-server $redis_version vs fakeredis-server"
printf '%-24s %14s %14s %8s\n' test "redis /s" "fake /s" fake/redis
for test in $(awk '{ print $1 }' "$tmp/redis.txt" | sort -u); do
    r=$(awk -v t="$test" '$1 == t { print $2 }' "$tmp/redis.txt" | median)
    f=$(awk -v t="$test" '$1 == t { print $2 }' "$tmp/fake.txt" | median)
    awk -v t="$test" -v r="$r" -v f="$f" 'BEGIN { printf "%-24s %14.0f %14.0f %8.2f\n", t, r, f, (r > 0 ? f / r : 0) }'
done
