#!/usr/bin/env bash
# Memory per key, fakeredis-server next to redis-server: the growth of each server's RSS
# while DEBUG POPULATE makes $KEYS string keys with 10-byte values, divided by $KEYS.
#
#   bench/memory.sh            # 1,000,000 keys
#   KEYS=100000 bench/memory.sh
set -euo pipefail
KEYS=${KEYS:-1000000}
SERVER_ARGS="--enable-debug-command yes"
source "$(dirname "$0")/servers.sh"
start_servers
rss() { awk '/VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }
for who in redis fake; do
    if [[ $who == redis ]]; then port=$redis_port pid=${pids[0]}; else port=$fake_port pid=${pids[1]}; fi
    before=$(rss "$pid")
    out=$(redis-cli -p "$port" debug populate "$KEYS" key 10)
    after=$(rss "$pid")
    awk -v w="$who" -v b="$before" -v a="$after" -v n="$KEYS" -v o="$out" \
        'BEGIN { printf "%-6s %d keys: RSS %.1f MB -> %.1f MB, %.0f bytes per key (%s)\n", w, n, b / 1e6, a / 1e6, (a - b) / n, o }'
done
