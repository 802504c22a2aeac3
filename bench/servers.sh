# Shared by the bench scripts (sourced, not run): builds the release binaries named in
# $BUILD_ARGS, then starts redis-server and fakeredis-server on free loopback ports, side
# by side, and stops both on exit. After `start_servers`: $root, $target, $tmp,
# $redis_port, $fake_port, $redis_version. `rate` and `median` measure and sum up.
#
# Needs redis-server, redis-cli, cargo and python3 (Debian: redis-server, redis-tools).
#
# With PIN=1 (the default where `taskset` exists and there are 2 CPUs or more) both servers
# run on CPU 0 and `$CLIENT_PIN` (put it before a benchmark client) keeps that client on
# CPU 1, so a server never shares its core with the load generator; PIN=0 lets them float.
# $SERVER_ARGS (e.g. "--enable-debug-command yes") goes to both servers.

if [[ "${PIN:-}" == "" ]]; then
    if command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then PIN=1; else PIN=0; fi
fi
if [[ "$PIN" == 1 ]]; then SERVER_PIN="taskset -c 0"; CLIENT_PIN="taskset -c 1"; else SERVER_PIN=""; CLIENT_PIN=""; fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}

need_tools() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
    done
}

# A TCP port nobody listens on (the kernel picks it; a tiny race is acceptable here).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
    for _ in $(seq 1 100); do
        [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == "PONG" ]] && return 0
        sleep 0.05
    done
    echo "error: nothing answers PING on port $1" >&2
    exit 1
}

# start_servers CARGO_BUILD_ARGS...: build, then both servers up and answering PING.
start_servers() {
    need_tools redis-server redis-cli cargo python3
    echo "building (release): $*" >&2
    (cd "$root" && cargo build --release --features tcp --bin fakeredis-server "$@" >&2)
    tmp=$(mktemp -d)
    pids=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    redis_port=$(free_port)
    $SERVER_PIN redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
        --logfile "$tmp/redis.log" ${SERVER_ARGS:-} &
    pids+=($!)
    fake_port=$(free_port)
    while [[ "$fake_port" == "$redis_port" ]]; do fake_port=$(free_port); done
    $SERVER_PIN "$target/release/fakeredis-server" --port "$fake_port" ${SERVER_ARGS:-} >"$tmp/fake.log" 2>&1 &
    pids+=($!)
    wait_ready "$redis_port"
    wait_ready "$fake_port"
    redis_version=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')
}

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}

# rate PORT PIPELINE COMMAND...: requests per second of redis-benchmark with $CLIENTS
# clients, $N requests and __rand_int__ below $KEYSPACE (default 1000).
rate() {
    local port=$1 p=$2
    shift 2
    redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$N" -P "$p" -r "${KEYSPACE:-1000}" -q --csv "$@" |
        awk -F'","' 'NR > 1 { print $2 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
