// What every netlab comparison program measures and prints: the wall time of the simulation
// run, the simulated end, the events ns-3 ran and the frames every device finished sending.
// Output is one `key=value` per line, for scripts/bench-vs-ns3.sh and for people.
#pragma once

#include "ns3/core-module.h"
#include "ns3/network-module.h"

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace measure
{

inline uint64_t g_frames = 0;

inline void
CountFrame(ns3::Ptr<const ns3::Packet>)
{
    ++g_frames;
}

/// Counts every frame that finishes transmission on a CSMA or point-to-point device.
inline void
CountFramesOnEveryDevice()
{
    ns3::Config::ConnectWithoutContextFailSafe(
        "/NodeList/*/DeviceList/*/$ns3::CsmaNetDevice/PhyTxEnd",
        ns3::MakeCallback(&CountFrame));
    ns3::Config::ConnectWithoutContextFailSafe(
        "/NodeList/*/DeviceList/*/$ns3::PointToPointNetDevice/PhyTxEnd",
        ns3::MakeCallback(&CountFrame));
}

/// Runs the simulation until no event is left and prints what it cost.
inline void
RunAndReport()
{
    auto start = std::chrono::steady_clock::now();
    ns3::Simulator::Run();
    double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("run_wall_s=%.3f\n", wall);
    std::printf("sim_end_s=%.6f\n", ns3::Simulator::Now().GetSeconds());
    std::printf("events=%llu\n", (unsigned long long)ns3::Simulator::GetEventCount());
    std::printf("frames_tx=%llu\n", (unsigned long long)g_frames);
    if (wall > 0)
    {
        std::printf("frames_per_wall_s=%.0f\n", g_frames / wall);
    }
    ns3::Simulator::Destroy();
}

} // namespace measure
