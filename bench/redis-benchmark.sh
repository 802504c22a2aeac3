#!/usr/bin/env bash
# Throughput of fakeredis-server next to a real redis-server, measured by redis-benchmark
# in the same run on the same machine.
#
#   bench/redis-benchmark.sh            # 100000 requests per test, no pipelining and -P 16
#   N=20000 PIPELINES="1" bench/redis-benchmark.sh
#
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools) and cargo.
# Prints one row per test and pipeline depth: requests/s for each server and fake/redis.
set -euo pipefail

N=${N:-100000}
TESTS=${TESTS:-set,get,incr,mset,ping}
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}

root=$(cd "$(dirname "$0")/.." && pwd)
for tool in redis-server redis-benchmark redis-cli cargo; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done

echo "building fakeredis-server (release)..." >&2
(cd "$root" && cargo build --release --features tcp --bin fakeredis-server >&2)
fake_bin="$root/target/release/fakeredis-server"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then fake_bin="$CARGO_TARGET_DIR/release/fakeredis-server"; fi

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on (the kernel picks it; a tiny race is acceptable here).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null && return
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

wait_ready() {
    local port=$1 name=$2
    for _ in $(seq 1 100); do
        if [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == "PONG" ]]; then return 0; fi
        sleep 0.05
    done
    echo "error: $name did not answer PING on port $port" >&2
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
wait_ready "$redis_port" redis-server
wait_ready "$fake_port" fakeredis-server

# bench PORT PIPELINE OUT: "test,rps" lines.
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -c "$CLIENTS" -t "$TESTS" -n "$N" -P "$2" -q --csv |
        awk -F'","' 'NR > 1 { gsub(/"/, ""); print $1 "," $2 }' >"$3"
}

redis_version=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')
echo
echo "redis-benchmark: $N requests, $CLIENTS clients; redis-server $redis_version vs fakeredis-server"
printf '%-16s %4s %14s %14s %8s\n' test P "redis rps" "fake rps" fake/redis
for p in $PIPELINES; do
    bench "$redis_port" "$p" "$tmp/redis-$p.csv"
    bench "$fake_port" "$p" "$tmp/fake-$p.csv"
    while IFS=, read -r test rps; do
        fake=$(awk -F, -v t="$test" '$1 == t { print $2 }' "$tmp/fake-$p.csv")
        awk -v t="$test" -v p="$p" -v r="$rps" -v f="${fake:-0}" 'BEGIN {
            printf "%-16s %4s %14.0f %14.0f %8.2f\n", t, p, r, f, (r > 0 ? f / r : 0)
        }'
    done <"$tmp/redis-$p.csv"
done
