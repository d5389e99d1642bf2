// netlab's "lan-ping" workload in ns-3: --hosts hosts on one learning switch (a bridge node,
// one 1 Gbit/s CSMA cable per host), every host but the first pinging the first once, one
// host per millisecond from 1 s. netlab's side: `netlab bench --case "lan-ping 1000 hosts"`.
#include "measure.h"

#include "ns3/bridge-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-apps-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"

using namespace ns3;

static uint32_t g_replies = 0;

static void
OnReply(Time)
{
    ++g_replies;
}

int
main(int argc, char* argv[])
{
    uint32_t hostCount = 1000;
    CommandLine cmd(__FILE__);
    cmd.AddValue("hosts", "hosts on the switch", hostCount);
    cmd.Parse(argc, argv);

    NodeContainer hosts;
    hosts.Create(hostCount);
    Ptr<Node> sw = CreateObject<Node>();
    CsmaHelper cable;
    cable.SetChannelAttribute("DataRate", StringValue("1Gbps"));
    cable.SetChannelAttribute("Delay", TimeValue(MicroSeconds(1)));
    NetDeviceContainer hostNics;
    NetDeviceContainer switchPorts;
    for (uint32_t i = 0; i < hostCount; ++i)
    {
        NetDeviceContainer pair = cable.Install(NodeContainer(hosts.Get(i), sw));
        hostNics.Add(pair.Get(0));
        switchPorts.Add(pair.Get(1));
    }
    BridgeHelper().Install(sw, switchPorts);
    InternetStackHelper().Install(hosts);
    Ipv4AddressHelper addresses("10.1.0.0", "255.255.0.0");
    Ipv4InterfaceContainer ips = addresses.Assign(hostNics);

    // One echo request each: V4Ping (ns-3 3.37) pings every Interval until stopped, so it is
    // stopped long before a second one.
    for (uint32_t i = 1; i < hostCount; ++i)
    {
        V4PingHelper ping(ips.GetAddress(0));
        ping.SetAttribute("Interval", TimeValue(Seconds(10)));
        ApplicationContainer app = ping.Install(hosts.Get(i));
        Time at = Seconds(1) + MilliSeconds(i - 1);
        app.Start(at);
        app.Stop(at + Seconds(1));
        app.Get(0)->TraceConnectWithoutContext("Rtt", MakeCallback(&OnReply));
    }

    measure::CountFramesOnEveryDevice();
    measure::RunAndReport();
    std::printf("replies=%u\n", g_replies);
    return g_replies > 0 ? 0 : 1;
}
