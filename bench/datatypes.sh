#!/usr/bin/env bash
# Streams, bitmaps, HyperLogLog and geo through redis-benchmark, against fakeredis-server and
# redis-server in the same run: the servers take turns, ROUNDS times each, and the medians
# are compared. Each test's keys are prepared the same way on both sides first.
#
#   bench/datatypes.sh                    # 3 rounds of 100000 calls, 50 clients, -P 1 and 16
#   ROUNDS=5 N=50000 TESTS="xadd xrange" bench/datatypes.sh
#
# Needs redis-server, redis-cli, redis-benchmark (Debian: redis-server, redis-tools), cargo.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-"xadd xrange xreadgroup setbit bitcount pfadd pfcount geosearch"}
source "$(dirname "$0")/servers.sh"
need_tools redis-benchmark
start_servers

# Data the read tests read, the same on both servers: a stream of 10k entries with a group,
# a 1 MiB bitmap, an HLL of 100k elements, 10k places around one point.
for port in "$redis_port" "$fake_port"; do
    redis-cli -p "$port" EVAL "for i=1,10000 do redis.call('XADD', KEYS[1], i..'-0', 'f', 'v'..i) end
        for i=1,100000 do redis.call('PFADD', KEYS[2], 'e'..i) end
        for i=1,10000 do redis.call('GEOADD', KEYS[4], 13 + (i % 100) / 1000, 52 + math.floor(i / 100) / 1000, 'p'..i) end
        return redis.call('SETRANGE', KEYS[3], 1048575, 'x')" 4 st hll bits places >/dev/null
    redis-cli -p "$port" XGROUP CREATE st g 0 >/dev/null
done

KEYSPACE=${KEYSPACE:-100000}
run() {
    local port=$1 p=$2 test=$3
    case $test in
        xadd) rate "$port" "$p" XADD "sx:__rand_int__" MAXLEN "~" 1000 "*" f v ;;
        xrange) rate "$port" "$p" XRANGE st 5000 + COUNT 10 ;;
        xreadgroup)
            redis-cli -p "$port" XGROUP SETID st g 0 >/dev/null
            rate "$port" "$p" XREADGROUP GROUP g c COUNT 1 NOACK STREAMS st ">" ;;
        setbit) rate "$port" "$p" SETBIT bits 4000000 1 ;; # __rand_int__ is zero-padded: no bit offset
        bitcount) rate "$port" "$p" BITCOUNT bits ;;
        pfadd) rate "$port" "$p" PFADD "h:__rand_int__" a b c __rand_int__ ;;
        pfcount) rate "$port" "$p" PFCOUNT hll ;;
        geosearch) rate "$port" "$p" GEOSEARCH places FROMLONLAT 13.05 52.05 BYRADIUS 500 m COUNT 10 ASC ;;
    esac
}

echo
echo "data types: medians of $ROUNDS alternating rounds, $N calls, $CLIENTS clients; redis-server $redis_version vs fakeredis-server"
printf '%-11s %4s %14s %14s %8s\n' test P "redis rps" "fake rps" fake/redis
for p in $PIPELINES; do
    for test in $TESTS; do
        : >"$tmp/r" && : >"$tmp/f"
        for _ in $(seq 1 "$ROUNDS"); do
            for side in r f; do
                port=$([[ $side == r ]] && echo "$redis_port" || echo "$fake_port")
                run "$port" "$p" "$test" >>"$tmp/$side"
            done
        done
        r=$(median <"$tmp/r")
        f=$(median <"$tmp/f")
        awk -v t="$test" -v p="$p" -v r="$r" -v f="$f" 'BEGIN { printf "%-11s %4s %14.0f %14.0f %8.2f\n", t, p, r, f, (r > 0 ? f / r : 0) }'
    done
done
