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

source "$(dirname "$0")/servers.sh"
need_tools redis-benchmark
start_servers

# bench PORT PIPELINE OUT: "test,rps" lines.
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -c "$CLIENTS" -t "$TESTS" -n "$N" -P "$2" -q --csv |
        awk -F'","' 'NR > 1 { gsub(/"/, ""); print $1 "," $2 }' >"$3"
}

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
