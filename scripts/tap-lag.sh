#!/usr/bin/env bash
# The lag of netlab's real-time mode at 1,000 frames per second each way through a TAP.
#
#   sudo scripts/tap-lag.sh [SECONDS] [RATE]
#
# Runs, with the release build, a simulated host with a UDP echo server cabled to a TAP in a
# namespace netlab creates (`netlab-lag`). In the namespace a Python sender sends RATE
# datagrams a second (default 1000) for SECONDS (default 5) on the kernel's UDP socket, at fixed
# times, and reads the echoes: RATE frames a second into the simulation, RATE out of it.
# Prints netlab's real-time summary (how late events ran against the wall clock: mean and
# maximum, over every event of the run) and the sender's round-trip times (the kernel's view:
# the TAP, netlab and back, Python's own scheduling included).
# Needs root (a TAP and a namespace), python3 and iproute2. Not a test: the numbers depend on
# the machine and its load (README.md, "Real Linux on the network").
set -euo pipefail
secs=${1:-5}
rate=${2:-1000}
cd "$(dirname "$0")/.."
[ -n "${NETLAB_NO_BUILD:-}" ] || cargo build --release --quiet
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/lag.toml" <<EOF2
[scenario]
description = "A simulated UDP echo server answering the kernel through a TAP."
[[host]]
name = "sim"
ip = "10.90.0.2/24"
[[tap]]
name = "nllag"
attach = "sim"
netns = "netlab-lag"
ip = "10.90.0.1/24"
bandwidth = "1Gbps"
[timeline]
steps = '''
0s sim udp-echo port=9000
'''
[expect]
checks = '''
end sim.udp_rx > 0
'''
EOF2
cat >"$dir/send.py" <<'EOF2'
import socket, struct, sys, time
secs, rate = float(sys.argv[1]), float(sys.argv[2])
n = int(secs * rate)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
dst = ("10.90.0.2", 9000)
rtts, sent = [], 0
t0 = time.perf_counter()
while time.perf_counter() - t0 < secs + 1:
    now = time.perf_counter()
    while sent < n and now >= t0 + sent / rate:
        s.sendto(struct.pack("!d", time.perf_counter()) + b"x" * 56, dst)
        sent += 1
    try:
        while True:
            d = s.recv(2048)
            rtts.append(time.perf_counter() - struct.unpack("!d", d[:8])[0])
    except BlockingIOError:
        pass
    time.sleep(0.0002)
rtts.sort()
k = len(rtts)
print(f"sender: {sent} datagrams at {rate:.0f}/s, {k} echoed; round trip kernel -> netlab -> "
      f"kernel: median {rtts[k // 2] * 1e3:.3f} ms, 99th percentile "
      f"{rtts[int(k * 0.99)] * 1e3:.3f} ms, max {rtts[-1] * 1e3:.3f} ms" if k else f"sender: {sent} sent, none echoed")
EOF2
./target/release/netlab run "$dir/lag.toml" --realtime --until "$((secs + 3))s" --quiet \
  >"$dir/netlab.out" 2>"$dir/netlab.err" &
pid=$!
for _ in $(seq 100); do
  grep -q 'is up' "$dir/netlab.err" 2>/dev/null && break
  sleep 0.1
done
ip netns exec netlab-lag python3 "$dir/send.py" "$secs" "$rate"
wait "$pid" || true
grep -A1 '^real time' "$dir/netlab.out"
