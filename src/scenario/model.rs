//! The shape of a scenario file, as serde reads it from TOML.
//!
//! Every table denies unknown keys, so a typo is an error at its position rather than a setting
//! silently ignored. Values with units stay text (`Spanned<toml::Value>`) until the builder parses
//! them, so a bad unit is reported at the value with a message about units, not about types.

use serde::Deserialize;
use toml::Spanned;

pub type Sp<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub scenario: Sp<ScenarioTable>,
    #[serde(default)]
    pub link_defaults: Option<Sp<LinkSettings>>,
    #[serde(default)]
    pub host: Vec<Sp<HostTable>>,
    #[serde(default)]
    pub router: Vec<Sp<RouterTable>>,
    #[serde(default)]
    pub switch: Vec<Sp<SwitchTable>>,
    #[serde(default)]
    pub hub: Vec<Sp<HubTable>>,
    #[serde(default)]
    pub link: Vec<Sp<LinkTable>>,
    #[serde(default)]
    pub tap: Vec<Sp<TapTable>>,
    #[serde(default)]
    pub timeline: Option<Sp<TimelineTable>>,
    #[serde(default)]
    pub expect: Option<Sp<ExpectTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioTable {
    pub name: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    /// Seed of every random stream in the run (default 1).
    pub seed: Option<Sp<i64>>,
    /// Run until this simulated time; without it, until nothing is left to do.
    pub stop: Option<Sp<toml::Value>>,
    /// Most events a run may process before it is stopped as a runaway.
    pub max_events: Option<Sp<i64>>,
    /// Latest simulated time a run "until quiet" may reach before it is stopped as a runaway.
    pub max_time: Option<Sp<toml::Value>>,
}

/// Link settings shared by `[[link]]` and `[link_defaults]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    pub bandwidth: Option<Sp<toml::Value>>,
    pub delay: Option<Sp<toml::Value>>,
    pub queue: Option<Sp<i64>>,
    pub ber: Option<Sp<f64>>,
    pub mtu: Option<Sp<i64>>,
    pub loss: Option<Sp<f64>>,
}

/// A host. One interface (`eth0`) described by `ip`/`mask`/`mac` directly, or several in
/// `interfaces`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostTable {
    pub name: Sp<String>,
    pub mac: Option<Sp<String>>,
    #[serde(default)]
    pub promiscuous: bool,
    /// `10.0.0.1/24`, or an address with `mask`.
    pub ip: Option<Sp<String>>,
    /// Dotted mask (`255.255.255.0`) for an `ip` written without a prefix.
    pub mask: Option<Sp<String>>,
    /// Default gateway: adds `default via GATEWAY`.
    pub gateway: Option<Sp<String>>,
    pub interfaces: Option<Vec<Sp<InterfaceTable>>>,
    /// Static routes: `"10.0.3.0/24 via 10.0.2.2"`, `"default via 10.0.0.254"`,
    /// `"10.0.9.0/24 dev eth1"`.
    #[serde(default)]
    pub routes: Vec<Sp<String>>,
    /// TTL of the datagrams it sends (default 64).
    pub ttl: Option<Sp<i64>>,
    /// TCP settings (Linux's defaults otherwise).
    pub tcp: Option<Sp<TcpTable>>,
    /// A DHCP server on this host, one pool per subnet it serves.
    #[serde(default)]
    pub dhcp_pools: Vec<Sp<DhcpPoolTable>>,
    /// The DNS server the host's resolver asks.
    pub dns: Option<Sp<String>>,
    /// A DNS server on this host: `"www.lab 300 A 10.0.0.80"`, `"80.0.0.10.in-addr.arpa 300
    /// PTR www.lab"`.
    #[serde(default)]
    pub dns_zone: Vec<Sp<String>>,
}

/// A host's TCP settings, each optional: `tcp = { time_wait = "5s", min_rto = "1s" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpTable {
    /// `linux` (the default) or `textbook`: the defaults the other keys override.
    pub profile: Option<Sp<String>>,
    pub sack: Option<Sp<bool>>,
    pub timestamps: Option<Sp<bool>>,
    pub syn_linear_timeouts: Option<Sp<i64>>,
    pub mss: Option<Sp<i64>>,
    pub send_buffer: Option<Sp<i64>>,
    pub recv_buffer: Option<Sp<i64>>,
    pub initial_rto: Option<Sp<toml::Value>>,
    pub min_rto: Option<Sp<toml::Value>>,
    pub max_rto: Option<Sp<toml::Value>>,
    pub syn_retries: Option<Sp<i64>>,
    pub synack_retries: Option<Sp<i64>>,
    pub retries: Option<Sp<i64>>,
    pub delayed_ack: Option<Sp<toml::Value>>,
    pub quick_acks: Option<Sp<i64>>,
    pub nagle: Option<Sp<bool>>,
    pub initial_cwnd: Option<Sp<i64>>,
    pub time_wait: Option<Sp<toml::Value>>,
    pub window_scaling: Option<Sp<bool>>,
    /// `"cubic"` or `"reno"`.
    pub congestion: Option<Sp<String>>,
    pub syncookies: Option<Sp<bool>>,
    pub fin_timeout: Option<Sp<toml::Value>>,
}

/// A router: a host with several interfaces that forwards datagrams.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterTable {
    pub name: Sp<String>,
    pub interfaces: Vec<Sp<InterfaceTable>>,
    #[serde(default)]
    pub routes: Vec<Sp<String>>,
    pub gateway: Option<Sp<String>>,
    pub tcp: Option<Sp<TcpTable>>,
    #[serde(default)]
    pub dhcp_pools: Vec<Sp<DhcpPoolTable>>,
}

/// One interface of a multi-homed host or a router.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceTable {
    /// Defaults to `eth0`, `eth1`, … in order.
    pub name: Option<Sp<String>>,
    pub ip: Option<Sp<String>>,
    pub mask: Option<Sp<String>>,
    pub mac: Option<Sp<String>>,
    /// An 802.1Q sub-interface (`name = "eth0.10"`, `vlan = 10`): frames tagged with this VLAN
    /// on its parent's cable (the name's part before the dot), with the parent's MAC.
    pub vlan: Option<Sp<i64>>,
    /// A router's DHCP relay: the server that requests heard here are passed to.
    pub helper: Option<Sp<String>>,
}

/// One DHCP pool: `{ range = "10.0.0.100-10.0.0.199/24", lease = "1h", router = "10.0.0.1",
/// dns = "10.0.0.53" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DhcpPoolTable {
    pub range: Sp<String>,
    pub lease: Option<Sp<toml::Value>>,
    pub router: Option<Sp<String>>,
    pub dns: Option<Sp<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchTable {
    pub name: Sp<String>,
    /// Number of ports; by default as many as links use.
    pub ports: Option<Sp<i64>>,
    pub aging: Option<Sp<toml::Value>>,
    pub table_size: Option<Sp<i64>>,
    /// Spanning tree (IEEE 802.1D): on by default when the switches' cables form a loop.
    pub stp: Option<Sp<bool>>,
    /// Bridge priority, the high part of the bridge id (default 32768; lower wins the root).
    pub priority: Option<Sp<i64>>,
    /// The bridge's MAC address, the low part of the bridge id and the BPDUs' source.
    pub mac: Option<Sp<String>>,
    /// Spanning tree timers (802.1D defaults 2 s, 20 s, 15 s; used when this switch is root).
    pub hello_time: Option<Sp<toml::Value>>,
    pub max_age: Option<Sp<toml::Value>>,
    pub forward_delay: Option<Sp<toml::Value>>,
    /// VLANs (IEEE 802.1Q): access ports and their VLAN, `{ 1 = 10, 2 = 20 }` (other ports
    /// are in VLAN 1).
    pub access: Option<Sp<toml::Table>>,
    /// Trunk ports and the VLANs they carry tagged, `{ 3 = [10, 20] }`.
    pub trunk: Option<Sp<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubTable {
    pub name: Sp<String>,
    pub ports: Option<Sp<i64>>,
    /// Half duplex: its cables are one collision domain with CSMA/CD (IEEE 802.3 clause 4).
    pub half_duplex: Option<Sp<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkTable {
    pub name: Option<Sp<String>>,
    /// The two ports: `"alice"`, `"alice:eth0"`, `"sw1"` (next free port) or `"sw1:3"`.
    pub between: Sp<Vec<Sp<String>>>,
    // The same keys as `LinkSettings`; not flattened because serde's `flatten` cannot deny
    // unknown keys.
    pub bandwidth: Option<Sp<toml::Value>>,
    pub delay: Option<Sp<toml::Value>>,
    pub queue: Option<Sp<i64>>,
    pub ber: Option<Sp<f64>>,
    pub mtu: Option<Sp<i64>>,
    pub loss: Option<Sp<f64>>,
    /// `"full-duplex"` (the default) or `"shared"`: one half-duplex cable with CSMA/CD.
    pub medium: Option<Sp<String>>,
}

impl LinkTable {
    /// Splits off the settings part.
    pub fn take_settings(&mut self) -> LinkSettings {
        LinkSettings {
            bandwidth: self.bandwidth.take(),
            delay: self.delay.take(),
            queue: self.queue.take(),
            ber: self.ber.take(),
            mtu: self.mtu.take(),
            loss: self.loss.take(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineTable {
    /// One action per line: `TIME SUBJECT VERB [key=value…]`.
    pub steps: Sp<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectTable {
    /// One check per line: `end CHECK` or `at TIME CHECK`.
    pub checks: Sp<String>,
}

/// A TAP: the real kernel's side of a cable into the simulated network (`crate::tap`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapTable {
    /// The node's name and the kernel's interface name (at most 15 characters).
    pub name: Sp<String>,
    /// The other end of the cable: `"sw1"`, `"sw1:3"`, `"alice"`, `"r1:eth1"`.
    pub attach: Sp<String>,
    /// A network namespace netlab creates for the TAP, configures and deletes at the end.
    pub netns: Option<Sp<String>>,
    /// The TAP's address inside `netns` (`"10.0.0.1/24"`).
    pub ip: Option<Sp<String>>,
    /// Default route inside `netns`.
    pub gateway: Option<Sp<String>>,
    /// Routes inside `netns`: `"10.0.2.0/24 via 10.0.1.254"`.
    #[serde(default)]
    pub routes: Vec<Sp<String>>,
    // The cable's settings, as a `[[link]]`'s.
    pub bandwidth: Option<Sp<toml::Value>>,
    pub delay: Option<Sp<toml::Value>>,
    pub queue: Option<Sp<i64>>,
    pub ber: Option<Sp<f64>>,
    pub mtu: Option<Sp<i64>>,
    pub loss: Option<Sp<f64>>,
}
