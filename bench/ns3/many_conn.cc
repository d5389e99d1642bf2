// netlab's "many-conn" workload in ns-3: --clients short TCP connections from --hosts client
// hosts on a switched LAN, through a router, to one server behind a 1 Gbit/s, 1 ms cable.
// Each connection: connect, send 1024 bytes, close; the server reads and closes when the
// client's FIN comes. One connection starts every 100 us, round-robin over the client hosts.
// netlab's side: `netlab bench --case "many-conn 10000"`.
#include "measure.h"

#include "ns3/bridge-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

using namespace ns3;

static const uint16_t kPort = 8080;
static const uint32_t kRequestBytes = 1024;
static uint64_t g_serverBytes = 0;
static uint32_t g_serverCloses = 0;
static uint32_t g_clientsConnected = 0;

// ---- the server: accept everything, read everything, close after the client's FIN ----

static void
ServerRead(Ptr<Socket> s)
{
    while (Ptr<Packet> p = s->Recv())
    {
        if (p->GetSize() == 0)
        {
            break;
        }
        g_serverBytes += p->GetSize();
    }
}

static void
ServerPeerClosed(Ptr<Socket> s)
{
    // ns-3 reports the peer's FIN as a "normal close"; a socket left alone would sit in
    // CLOSE_WAIT, so close it as a server program would after recv() returned 0.
    ++g_serverCloses;
    s->Close();
}

static void
ServerPeerError(Ptr<Socket>)
{
}

static bool
ServerAcceptRequest(Ptr<Socket>, const Address&)
{
    return true;
}

static void
ServerAccepted(Ptr<Socket> s, const Address&)
{
    s->SetRecvCallback(MakeCallback(&ServerRead));
    s->SetCloseCallbacks(MakeCallback(&ServerPeerClosed), MakeCallback(&ServerPeerError));
}

// ---- a client: connect, send the request, close ----

static void
ClientConnected(Ptr<Socket> s)
{
    ++g_clientsConnected;
    s->Send(Create<Packet>(kRequestBytes));
    s->Close();
}

static void
ClientFailed(Ptr<Socket>)
{
}

static void
StartClient(Ptr<Node> host, Address server)
{
    Ptr<Socket> s = Socket::CreateSocket(host, TcpSocketFactory::GetTypeId());
    s->Bind();
    s->SetConnectCallback(MakeCallback(&ClientConnected), MakeCallback(&ClientFailed));
    s->Connect(server);
}

int
main(int argc, char* argv[])
{
    uint32_t clients = 10000;
    uint32_t hostCount = 10;
    CommandLine cmd(__FILE__);
    cmd.AddValue("clients", "connections to make", clients);
    cmd.AddValue("hosts", "client hosts they are spread over", hostCount);
    cmd.Parse(argc, argv);

    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));

    NodeContainer clientHosts;
    clientHosts.Create(hostCount);
    Ptr<Node> router = CreateObject<Node>();
    Ptr<Node> server = CreateObject<Node>();
    Ptr<Node> sw = CreateObject<Node>();

    // The LAN: each client host and the router's first interface on their own cable to the
    // switch.
    CsmaHelper lanCable;
    lanCable.SetChannelAttribute("DataRate", StringValue("1Gbps"));
    lanCable.SetChannelAttribute("Delay", TimeValue(MicroSeconds(1)));
    NetDeviceContainer lanNics;
    NetDeviceContainer switchPorts;
    NodeContainer onLan(clientHosts);
    onLan.Add(router);
    for (uint32_t i = 0; i < onLan.GetN(); ++i)
    {
        NetDeviceContainer pair = lanCable.Install(NodeContainer(onLan.Get(i), sw));
        lanNics.Add(pair.Get(0));
        switchPorts.Add(pair.Get(1));
    }
    BridgeHelper().Install(sw, switchPorts);

    // The router's second interface and the server.
    PointToPointHelper wanCable;
    wanCable.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    wanCable.SetChannelAttribute("Delay", StringValue("1ms"));
    NetDeviceContainer wanNics = wanCable.Install(router, server);

    InternetStackHelper().Install(NodeContainer(clientHosts, router, server));
    Ipv4AddressHelper lanAddresses("10.1.0.0", "255.255.0.0");
    lanAddresses.Assign(lanNics);
    Ipv4AddressHelper wanAddresses("10.2.0.0", "255.255.255.0");
    Ipv4InterfaceContainer wanIps = wanAddresses.Assign(wanNics);
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();

    Ptr<Socket> listener = Socket::CreateSocket(server, TcpSocketFactory::GetTypeId());
    listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), kPort));
    listener->Listen();
    listener->SetAcceptCallback(MakeCallback(&ServerAcceptRequest),
                                MakeCallback(&ServerAccepted));

    Address serverAddress = InetSocketAddress(wanIps.GetAddress(1), kPort);
    for (uint32_t i = 0; i < clients; ++i)
    {
        Simulator::Schedule(Seconds(1) + MicroSeconds(100) * i,
                            &StartClient,
                            clientHosts.Get(i % hostCount),
                            serverAddress);
    }

    measure::CountFramesOnEveryDevice();
    measure::RunAndReport();
    std::printf("connected=%u\n", g_clientsConnected);
    std::printf("server_closes=%u\n", g_serverCloses);
    std::printf("server_bytes_rx=%llu\n", (unsigned long long)g_serverBytes);
    return g_serverCloses == clients && g_serverBytes == uint64_t(clients) * kRequestBytes ? 0 : 1;
}
