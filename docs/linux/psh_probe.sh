#!/bin/sh
# When does Linux set PSH? Runs one small packetdrill script against the real kernel (root,
# a fresh network namespace, upstream packetdrill built from google/packetdrill) and prints
# the client's data segments as tcpdump saw them on tun0.
#
#   PACKETDRILL=/path/to/gtests/net/packetdrill sh docs/linux/psh_probe.sh \
#       [RTT=.1] [MSS=974] [SYNWIN=5792] [WSCALE=7] [ACKWIN=229] [WRITES="517 2002"] [OFFLOAD=off] [NODELAY=1] [CWND=]
#
# RTT: seconds before the peer answers; MSS/SYNWIN/WSCALE: the peer's SYN-ACK; ACKWIN: the window of the ACK that acknowledges each
# write (scaled by WSCALE) before the next write; WRITES: the write sizes, one per round trip,
# each acknowledged in full except the last; OFFLOAD: tso and gso on tun0 (off shows every
# wire segment); NODELAY: TCP_NODELAY. Uses defaults.sh from the shared upstream scripts.
set -e
# Measurement tools, not test dependencies (no test runs this script):
# apt-get install -y tcpdump ethtool; packetdrill is built from source.
for tool in tcpdump ethtool ip; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed (apt-get install -y $tool)" >&2; exit 2; }
done
for kv in "$@"; do eval "${kv%%=*}=\"\${kv#*=}\""; done
: "${MSS:=974}" "${SYNWIN:=5792}" "${WSCALE:=7}" "${ACKWIN:=229}" "${WRITES:=517 2002}"
: "${OFFLOAD:=off}" "${NODELAY:=1}" "${RTT:=.1}"
: "${PACKETDRILL:?set PACKETDRILL to upstream packetdrill's gtests/net/packetdrill directory}"
SHARED=${SHARED:-/work/shared/packetdrill/gtests/net}
dir=$(mktemp -d)
mkdir -p "$dir/common" "$dir/t"
cp "$SHARED/common/defaults.sh" "$dir/common/" && chmod +x "$dir/common/defaults.sh"
{
  echo "\`../common/defaults.sh"
  echo "ethtool -K tun0 tso $OFFLOAD gso $OFFLOAD\`"
  echo "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4"
  echo "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0"
  echo "+0 setsockopt(4, SOL_TCP, TCP_NODELAY, [$NODELAY], 4) = 0"
  echo "+0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)"
  echo "+0 > S 0:0(0) <...>"
  echo "+$RTT < S. 0:0(0) ack 1 win $SYNWIN <mss $MSS,nop,nop,sackOK,nop,wscale $WSCALE>"
  echo "+0 > . 1:1(0) ack 1"
  seq=1
  last=$(echo $WRITES | wc -w); i=0
  for w in $WRITES; do
    i=$((i + 1))
    echo "+.03 write(4, ..., $w) = $w"
    seq=$((seq + w))
    if [ "$i" -lt "$last" ]; then echo "+$RTT < . 1:1(0) ack $seq win $ACKWIN"; fi
  done
  echo "+.05 write(4, ..., 0) = 0"
} > "$dir/t/probe.pkt"
(cd "$dir/t" && TCPDUMP_OUTPUT="$dir/probe.pcap" "$PACKETDRILL/in_netns.sh" "$PACKETDRILL/packetdrill" probe.pkt >/dev/null 2>&1) || true
tcpdump -nr "$dir/probe.pcap" 2>/dev/null | grep ' Out IP ' | grep -v 'length 0' \
  | sed -E 's/.*Flags \[([^]]*)\], seq ([0-9]+):([0-9]+),.*length ([0-9]+).*/\1 \2:\3(\4)/' | tr '\n' ' '
echo
rm -rf "$dir"
