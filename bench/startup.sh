#!/usr/bin/env bash
# Time from exec to the first PING answered, fakeredis-server next to redis-server, in one
# run: the median and the fastest of 15 starts each (python3 measures; the servers start
# with no persistence and are killed after their answer).
#
#   bench/startup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release --features tcp --bin fakeredis-server >&2)
python3 - "$target/release/fakeredis-server" <<'PY'
import socket, statistics, subprocess, sys, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def once(cmd):
    port = free_port()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd + ["--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                time.sleep(0.0002)
        s.sendall(b"PING\r\n")
        s.recv(16)
        return (time.perf_counter() - t0) * 1000
    finally:
        p.kill(); p.wait()

for name, cmd in (("redis-server", ["redis-server", "--save", "", "--appendonly", "no"]), ("fakeredis-server", [sys.argv[1]])):
    ts = [once(cmd) for _ in range(15)]
    print(f"{name:17} first PING after exec: median {statistics.median(ts):.2f} ms, fastest {min(ts):.2f} ms")
PY
