#!/usr/bin/env bash
# How fast a large `netlab view` page opens and animates in headless Chromium.
#
#   scripts/view-load-time.sh [RUNS] [BYTES]
#
# Writes a bulk-transfer scenario (100 Mbps cable with a few bit errors, BYTES of data, default
# 17MB: about 100 000 events, the page's limit), makes its page with the release build, and opens
# it RUNS times (default 3) with `chromium --headless --dump-dom URL#timing`. The page writes on
# its <html> element:
#   data-ready-ms   when its first picture was drawn, since navigation start (reading and
#                   parsing the file, inflating the data, building the lists, first render);
#   data-script-ms  the part of that spent in the page's own script;
#   data-frame-ms-* the time to draw one animation frame with each side tab open (100 moments
#                   spread over the run, each drawn in full).
# Not a test: the numbers depend on the machine and its load (README.md, Performance).
set -euo pipefail
runs=${1:-3}
bytes=${2:-17MB}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/bulk.toml" <<EOF
[scenario]
description = "A bulk transfer long enough for about 100 000 events in netlab view."
[[host]]
name = "client"
ip = "10.0.0.1/24"
[[host]]
name = "server"
ip = "10.0.0.2/24"
[[link]]
between = ["client", "server"]
bandwidth = "100Mbps"
delay = "1ms"
ber = 1e-7
[timeline]
steps = '''
0s server bulk-sink port=5001 as=sink
1s client bulk-send to=server:5001 bytes=$bytes as=send
'''
EOF
cargo build --release --quiet
/usr/bin/time -f "netlab view: %e s, %M KB peak" target/release/netlab view "$dir/bulk.toml" -o "$dir/bulk.html"
ls -l "$dir/bulk.html" | awk '{printf "page: %.1f MB\n", $5 / 1e6}'
chrome=${NETLAB_CHROMIUM:-chromium}
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$chrome" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --user-data-dir="$dir/profile$i" --window-size=1400,900 --dump-dom "file://$dir/bulk.html#timing" \
    2>/dev/null | grep -o '<html[^>]*>' | head -1
  echo "  (chromium start to exit: $(echo "$(date +%s.%N) - $start" | bc) s)"
done
uptime
