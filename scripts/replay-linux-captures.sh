#!/usr/bin/env bash
# Replays every TCP conversation of the Linux captures in ../shared/anchors/linux against
# netlab, once as the client and once as the server, and prints the README's table: how many of
# the replayed side's segments agree with the capture, and which fields differ where not.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-../shared/anchors/linux}"
if [ ! -d "$dir" ]; then
  echo "error: $dir not found (the shared anchors go beside the clone)" >&2
  exit 2
fi
cargo build --release --quiet
echo "| capture | netlab as client | netlab as server |"
echo "| --- | --- | --- |"
for f in "$dir"/*.pcap; do
  name=$(basename "$f" .pcap)
  row="| $name |"
  # Settings of the capture host that differ from the linux profile (ORACLES.md: this
  # capture was taken with tcp_syn_linear_timeouts=0).
  knobs=()
  case "$name" in
    d_syn_no_answer_exponential) knobs=(--sysctl tcp_syn_linear_timeouts=0) ;;
  esac
  for side in client server; do
    side_knobs=("${knobs[@]}")
    # ORACLES.md: the server set SO_RCVBUF 4096 (its SYN-ACK shows window 2896, scale 0).
    if [ "$name" = i_zero_window ] && [ "$side" = server ]; then side_knobs+=(--rcvbuf 4096); fi
    summary=$(./target/release/netlab replay "$f" --as "$side" "${side_knobs[@]}" 2>&1 | tail -1 || true)
    case "$summary" in
      *"has 0 TCP conversation"*) continue 2 ;;   # ICMP/UDP/ARP captures
      "0 of 0 segments"*) summary="—" ;;          # that side sent nothing
    esac
    summary=$(echo "$summary" | sed 's/^ *//; s/ segments agree with the capture/ agree/')
    row="$row $summary |"
  done
  echo "$row"
done
