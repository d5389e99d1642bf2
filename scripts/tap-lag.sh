#!/usr/bin/env bash
# The lag of netlab's real-time mode at about 1,000 frames per second each way through a TAP.
#
#   sudo scripts/tap-lag.sh [SECONDS] [INTERVAL]
#
# Runs, with the release build, a simulated host cabled to a TAP in a namespace netlab creates
# (`netlab-lag`), and the kernel's `ping -i INTERVAL` (default 0.001 s: 1,000 echo requests a
# second into the simulation, 1,000 replies a second out of it) for SECONDS (default 5).
# Prints netlab's real-time summary (how late events ran against the wall clock: mean and
# maximum) and ping's own round-trip times (the kernel's view: TAP, netlab and back).
# Needs root (a TAP and a namespace), ping and iproute2. Not a test: the numbers depend on the
# machine and its load (README.md, "Real Linux on the network").
set -euo pipefail
secs=${1:-5}
interval=${2:-0.001}
cd "$(dirname "$0")/.."
cargo build --release --quiet
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/lag.toml" <<EOF2
[scenario]
description = "A simulated host answering the kernel's pings through a TAP."
[[host]]
name = "sim"
ip = "10.90.0.2/24"
[[tap]]
name = "nllag"
attach = "sim"
netns = "netlab-lag"
ip = "10.90.0.1/24"
bandwidth = "1Gbps"
[expect]
checks = '''
end sim.icmp_rx > 0
'''
EOF2
count=$(python3 -c "print(int($secs / $interval))")
./target/release/netlab run "$dir/lag.toml" --realtime --until "$((secs + 2))s" --quiet \
  >"$dir/netlab.out" 2>"$dir/netlab.err" &
pid=$!
for _ in $(seq 100); do
  grep -q 'is up' "$dir/netlab.err" 2>/dev/null && break
  sleep 0.1
done
ip netns exec netlab-lag ping -q -n -i "$interval" -c "$count" -W 1 10.90.0.2 | tail -2
wait "$pid" || true
grep -A1 '^real time' "$dir/netlab.out"
