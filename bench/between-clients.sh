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
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in redis-server redis-cli cargo python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done

echo "building fakeredis-server and the client (release)..." >&2
(cd "$root" && cargo build --release --features tcp --bin fakeredis-server --example between_clients_bench >&2)
target=${CARGO_TARGET_DIR:-$root/target}
fake_bin="$target/release/fakeredis-server"
client="$target/release/examples/between_clients_bench"

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
    for _ in $(seq 1 100); do
        [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == "PONG" ]] && return 0
        sleep 0.05
    done
    echo "error: nothing answers PING on port $1" >&2
    exit 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --logfile "$tmp/redis.log" &
pids+=($!)
fake_port=$(free_port)
while [[ "$fake_port" == "$redis_port" ]]; do fake_port=$(free_port); done
"$fake_bin" --port "$fake_port" >"$tmp/fake.log" 2>&1 &
pids+=($!)
wait_ready "$redis_port"
wait_ready "$fake_port"

for r in $(seq 1 "$ROUNDS"); do
    "$client" "$fake_port" >>"$tmp/fake.txt"
    "$client" "$redis_port" >>"$tmp/redis.txt"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
redis_version=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')
echo
echo "between clients over TCP: medians of $ROUNDS alternating rounds; redis-server $redis_version vs fakeredis-server"
printf '%-24s %14s %14s %8s\n' test "redis /s" "fake /s" fake/redis
for test in $(awk '{ print $1 }' "$tmp/redis.txt" | sort -u); do
    r=$(awk -v t="$test" '$1 == t { print $2 }' "$tmp/redis.txt" | median)
    f=$(awk -v t="$test" '$1 == t { print $2 }' "$tmp/fake.txt" | median)
    awk -v t="$test" -v r="$r" -v f="$f" 'BEGIN { printf "%-24s %14.0f %14.0f %8.2f\n", t, r, f, (r > 0 ? f / r : 0) }'
done
