#!/usr/bin/env bash
# Times netlab and ns-3 on the same work, back to back, on this machine, and prints the ratio.
# Needs ns-3 3.37 (Debian: apt-get install libns3-dev); the ns-3 programs are this repository's
# own, in bench/ns3 (built here into target/ns3). Usage: scripts/bench-vs-ns3.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=target/ns3
for prog in lan_ping bulk_tcp many_conn; do
    if [ ! -x "$out/$prog" ] || [ "bench/ns3/$prog.cc" -nt "$out/$prog" ] \
        || [ bench/ns3/measure.h -nt "$out/$prog" ]; then
        bench/ns3/build.sh "$out"
        break
    fi
done
cargo build --release --quiet
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# CPU seconds (user + system) of one run, to the millisecond: bash's `times` in a subshell
# reports the finished child's (GNU time rounds to 10 ms, which moved the 0.1-second cases by
# several units of ratio).
cpu() {
    ( "$@" >/dev/null; times ) | tail -1 \
        | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } print t }'
}

compare() {
    local name=$1; shift
    local ns3_cmd=$1; shift
    local netlab_case=$1
    local n3=() nl=()
    for _ in $(seq "$runs"); do   # interleaved, so both see the same machine load
        n3+=("$(cpu $ns3_cmd)")
        nl+=("$(cpu ./target/release/netlab bench --case "$netlab_case")")
    done
    local a b
    a=$(printf '%s\n' "${n3[@]}" | median)
    b=$(printf '%s\n' "${nl[@]}" | median)
    last_ns3=$a
    printf '%-28s ns-3 %8.3f s   netlab %8.3f s   netlab is %6.1fx faster (CPU seconds, median of %d)\n' \
        "$name" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$runs"
}

compare "lan-ping 1000 hosts" "$out/lan_ping --hosts=1000" "lan-ping 1000 hosts"
compare "bulk-tcp 1 GB" "$out/bulk_tcp --bytes=1000000000" "bulk-tcp 1000 MB"
# The bulk case's ceiling: the byte work alone of 1 GB in real frames (build, checksum, CRC,
# check, copy out, compare; src/bench/bytes_alone.rs), which ns-3's payload-less bulk case
# does not do. No simulator that moves these bytes runs the bulk case faster than this ratio.
bytes=()
for _ in $(seq "$runs"); do bytes+=("$(cpu ./target/release/netlab bench --case "bulk-tcp 1000 MB, bytes alone")"); done
b=$(printf '%s\n' "${bytes[@]}" | median)
printf '%-28s                   byte work %8.3f s   ceiling    %6.1fx (ns-3 bulk CPU / byte work alone)\n' \
    "  its bytes alone" "$b" "$(echo "$last_ns3 / $b" | bc -l)"
compare "bulk-tcp 1 GB, 1% loss" "$out/bulk_tcp --bytes=1000000000 --lossRate=0.01" "bulk-tcp 1000 MB loss 1%"
compare "many-conn 10000" "$out/many_conn --clients=10000" "many-conn 10000"
