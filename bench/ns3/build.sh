#!/bin/sh
# Builds netlab's ns-3 comparison programs (bench/ns3/*.cc) against Debian's ns-3 3.37
# (apt-get install libns3-dev). Usage: bench/ns3/build.sh [OUT_DIR] (default target/ns3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../target/ns3}
mkdir -p "$out"
CXX=${CXX:-g++}
CXXFLAGS=${CXXFLAGS:-"-O2 -std=c++17 -DNDEBUG"}
# Debian's ns3 pkg-config files are unusable as shipped (malformed Cflags), so the module
# libraries are named here; the headers are in /usr/include/ns3.
LIBS="-lns3-internet-apps -lns3-applications -lns3-bridge -lns3-csma -lns3-point-to-point \
    -lns3-internet -lns3-traffic-control -lns3-network -lns3-stats -lns3-core"
for prog in bulk_tcp lan_ping many_conn; do
    echo "building $out/$prog"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -I"$here" -o "$out/$prog" "$here/$prog.cc" $LIBS
done
