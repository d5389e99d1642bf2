// netlab's "bulk-tcp" workload in ns-3: one TCP transfer of --bytes over a 1 Gbit/s, 1 ms
// point-to-point cable, optionally losing --lossRate of the frames the receiver gets.
// netlab's side: `netlab bench --case "bulk-tcp 1000 MB"` (and "… loss 1%").
#include "measure.h"

#include "ns3/applications-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

using namespace ns3;

static uint64_t g_received = 0;
static double g_lastByte = 0;

static void
OnSinkRx(Ptr<const Packet> p, const Address&)
{
    g_received += p->GetSize();
    g_lastByte = Simulator::Now().GetSeconds();
}

int
main(int argc, char* argv[])
{
    uint64_t bytes = 100000000;
    double lossRate = 0;
    CommandLine cmd(__FILE__);
    cmd.AddValue("bytes", "bytes to transfer", bytes);
    cmd.AddValue("lossRate", "probability that the receiver loses a frame", lossRate);
    cmd.Parse(argc, argv);

    // NewReno, and a full-size segment: 1500 - 20 (IP) - 20 (TCP) - 12 (timestamps).
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));

    NodeContainer ends;
    ends.Create(2);
    PointToPointHelper cable;
    cable.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    cable.SetChannelAttribute("Delay", StringValue("1ms"));
    NetDeviceContainer nics = cable.Install(ends);
    if (lossRate > 0)
    {
        Ptr<RateErrorModel> loss = CreateObject<RateErrorModel>();
        loss->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
        loss->SetAttribute("ErrorRate", DoubleValue(lossRate));
        nics.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(loss));
    }
    InternetStackHelper().Install(ends);
    Ipv4AddressHelper addresses("10.0.0.0", "255.255.255.0");
    Ipv4InterfaceContainer ips = addresses.Assign(nics);

    const uint16_t port = 5001;
    BulkSendHelper sender("ns3::TcpSocketFactory", InetSocketAddress(ips.GetAddress(1), port));
    sender.SetAttribute("MaxBytes", UintegerValue(bytes));
    sender.SetAttribute("SendSize", UintegerValue(1448));
    sender.Install(ends.Get(0)).Start(Seconds(0.1));
    PacketSinkHelper sink("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer sinks = sink.Install(ends.Get(1));
    sinks.Get(0)->TraceConnectWithoutContext("Rx", MakeCallback(&OnSinkRx));

    measure::CountFramesOnEveryDevice();
    measure::RunAndReport();
    std::printf("bytes_rx=%llu\n", (unsigned long long)g_received);
    std::printf("last_byte_s=%.6f\n", g_lastByte);
    return g_received == bytes ? 0 : 1;
}
