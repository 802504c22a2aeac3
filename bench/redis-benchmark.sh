#!/usr/bin/env bash
# Throughput of fakeredis-server next to a real redis-server, measured by redis-benchmark
# in the same run on the same machine: the matrix of issue 13 (every test, with 50 clients
# unpipelined and with -P 16, and with one client), as fake/redis ratios.
#
#   bench/redis-benchmark.sh                       # 3 rounds of the whole matrix
#   ROUNDS=1 N=20000 TESTS=set,get bench/redis-benchmark.sh
#   RUNS="50:1 50:16" bench/redis-benchmark.sh      # clients:pipeline pairs
#
# How the runs are arranged (two cores are shared by the client and the servers): both
# servers are pinned to CPU 0 and redis-benchmark to CPU 1 (servers.sh, PIN=1); every
# round runs each test once against each server, alternating which goes first, and each
# cell is the median of the rounds.
#
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools) and cargo.
set -euo pipefail

N=${N:-100000}
TESTS=${TESTS:-ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,mset}
RUNS=${RUNS:-"50:1 50:16 1:1"}
ROUNDS=${ROUNDS:-3}

source "$(dirname "$0")/servers.sh"
need_tools redis-benchmark
start_servers

# bench PORT CLIENTS PIPELINE: "test,rps" lines (with one client, a tenth of the requests;
# pipelined, ten times as many: 100,000 pipelined requests take less than 100 ms, which the
# 50 connections' setup would distort).
bench() {
    local n=$N
    [[ "$2" == 1 ]] && n=$((N / 10))
    (( $3 > 1 )) && n=$((N * 10))
    $CLIENT_PIN redis-benchmark -h 127.0.0.1 -p "$1" -c "$2" -t "$TESTS" -n "$n" -P "$3" -q --csv |
        awk -F'","' 'NR > 1 { gsub(/"/, ""); print $1 "," $2 }'
}

for run in $RUNS; do
    c=${run%%:*} p=${run##*:}
    for r in $(seq 1 "$ROUNDS"); do
        if (( r % 2 )); then order="redis fake"; else order="fake redis"; fi
        for who in $order; do
            port=$redis_port
            [[ "$who" == fake ]] && port=$fake_port
            bench "$port" "$c" "$p" >"$tmp/$who-$c-$p-$r.csv"
        done
    done
done

echo
echo "redis-benchmark: $N requests per test ($((N / 10)) with one client, $((N * 10)) pipelined), $ROUNDS rounds (median),"
echo "redis-server $redis_version vs fakeredis-server, pinned: $([[ $PIN == 1 ]] && echo "servers CPU 0, client CPU 1" || echo no)"
printf '%-36s %3s %3s %12s %12s %8s\n' test c P "redis rps" "fake rps" fake/redis
for run in $RUNS; do
    c=${run%%:*} p=${run##*:}
    while IFS=, read -r test _; do
        med() { cat "$tmp/$1-$c-$p-"*.csv | awk -F, -v t="$test" '$1 == t { print $2 }' | median; }
        redis=$(med redis) fake=$(med fake)
        awk -v t="$test" -v c="$c" -v p="$p" -v r="$redis" -v f="${fake:-0}" 'BEGIN {
            printf "%-36s %3s %3s %12.0f %12.0f %8.2f\n", t, c, p, r, f, (r > 0 ? f / r : 0)
        }'
    done <"$tmp/redis-$c-$p-1.csv"
done
