#!/usr/bin/env bash
# EVALSHA of a small script (a rate limiter's INCR + EXPIRE) and FCALL of the same as a
# function, through redis-benchmark, against fakeredis-server and redis-server in the same
# run: the two servers take turns, ROUNDS times each, and the median of each is compared.
#
#   bench/scripting.sh                 # 3 rounds of 100000 calls, 50 clients, -P 1 and 16
#   ROUNDS=5 N=50000 bench/scripting.sh
#
# Needs redis-server, redis-cli, redis-benchmark (Debian: redis-server, redis-tools), cargo.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
source "$(dirname "$0")/servers.sh"
need_tools redis-benchmark
start_servers

body="local v = redis.call('incr', KEYS[1]) if v == 1 then redis.call('expire', KEYS[1], 60) end return v"
library="#!lua name=bench
redis.register_function('limit', function(keys) local v = redis.call('incr', keys[1]) if v == 1 then redis.call('expire', keys[1], 60) end return v end)"
for port in "$redis_port" "$fake_port"; do
    sha=$(redis-cli -p "$port" SCRIPT LOAD "$body")
    redis-cli -p "$port" FUNCTION LOAD REPLACE "$library" >/dev/null
done

echo
echo "scripting: medians of $ROUNDS alternating rounds, $N calls, $CLIENTS clients; redis-server $redis_version vs fakeredis-server"
printf '%-10s %4s %14s %14s %8s\n' test P "redis rps" "fake rps" fake/redis
for p in $PIPELINES; do
    for test in evalsha fcall; do
        : >"$tmp/r" && : >"$tmp/f"
        for _ in $(seq 1 "$ROUNDS"); do
            for side in r f; do
                port=$([[ $side == r ]] && echo "$redis_port" || echo "$fake_port")
                if [[ $test == evalsha ]]; then
                    rate "$port" "$p" EVALSHA "$sha" 1 "key:__rand_int__" >>"$tmp/$side"
                else
                    rate "$port" "$p" FCALL limit 1 "key:__rand_int__" >>"$tmp/$side"
                fi
            done
        done
        r=$(median <"$tmp/r")
        f=$(median <"$tmp/f")
        awk -v t="$test" -v p="$p" -v r="$r" -v f="$f" 'BEGIN { printf "%-10s %4s %14.0f %14.0f %8.2f\n", t, p, r, f, (r > 0 ? f / r : 0) }'
    done
done
