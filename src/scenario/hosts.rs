//! A host's or router's table validated into its spec: TCP settings, interfaces and VLAN
//! sub-interfaces, addresses, routes, DHCP pools.

use super::error::{ScenarioError, Src};
use super::model::{self, Sp};
use super::network::{InterfaceSpec, NodeSpec, NodeSpecKind};
use super::values::{duration, positive, unicast_mac};
use crate::ethernet::{default_mac, MacAddr};
use crate::ip::{Ipv4Cidr, Route, RoutingTable};
use crate::tcp::congestion::Algorithm;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// A host's `tcp = { … }` settings over Linux's defaults.
pub(super) fn tcp_config(
    src: &Src,
    t: Option<&Sp<model::TcpTable>>,
) -> Result<crate::tcp::TcpConfig, ScenarioError> {
    let Some(t) = t else {
        return Ok(crate::tcp::TcpConfig::default());
    };
    let t = t.get_ref();
    let profile = match &t.profile {
        None => crate::tcp::TcpProfile::Linux,
        Some(p) => crate::tcp::TcpProfile::from_name(p.get_ref()).ok_or_else(|| {
            src.error(
                p.span(),
                format!(
                    "unknown TCP profile {:?}: expected \"linux\" or \"textbook\"",
                    p.get_ref()
                ),
            )
        })?,
    };
    let mut c = crate::tcp::TcpConfig::for_profile(profile);
    if let Some(v) = &t.sack {
        c.sack = *v.get_ref();
    }
    if let Some(v) = &t.timestamps {
        c.timestamps = *v.get_ref();
    }
    if let Some(v) = &t.syn_linear_timeouts {
        c.syn_linear_timeouts = positive(src, v, "syn_linear_timeouts", 0, 255)? as u32;
    }
    if let Some(v) = &t.mss {
        c.mss = positive(src, v, "mss", 64, 65_495)? as u16;
    }
    if let Some(v) = &t.send_buffer {
        c.send_buffer_size = positive(src, v, "send_buffer (bytes)", 1, 1 << 30)? as usize;
    }
    if let Some(v) = &t.recv_buffer {
        c.recv_buffer_size = positive(src, v, "recv_buffer (bytes)", 1, 1 << 30)? as usize;
    }
    for (v, field) in [
        (&t.initial_rto, &mut c.initial_rto),
        (&t.min_rto, &mut c.min_rto),
        (&t.max_rto, &mut c.max_rto),
        (&t.delayed_ack, &mut c.delayed_ack),
        (&t.time_wait, &mut c.time_wait),
    ] {
        if let Some(v) = v {
            *field = duration(src, v)?;
        }
    }
    // Either may be left at its default (min_rto 200 ms, max_rto 120 s): the one written is
    // checked against the other's value as it stands.
    if c.min_rto > c.max_rto {
        match (&t.min_rto, &t.max_rto) {
            (Some(lo), Some(hi)) => {
                return Err(src.error(lo.span().start..hi.span().end, "min_rto is above max_rto"));
            }
            (Some(lo), None) => {
                return Err(src.error(
                    lo.span(),
                    format!("min_rto is above max_rto ({} by default)", c.max_rto),
                ));
            }
            (None, Some(hi)) => {
                return Err(src.error(
                    hi.span(),
                    format!("max_rto is below min_rto ({} by default)", c.min_rto),
                ));
            }
            (None, None) => {}
        }
    }
    for (v, what, field) in [
        (&t.syn_retries, "syn_retries", &mut c.syn_retries),
        (&t.synack_retries, "synack_retries", &mut c.synack_retries),
        (&t.retries, "retries", &mut c.data_retries),
        (&t.quick_acks, "quick_acks", &mut c.quick_acks),
    ] {
        if let Some(v) = v {
            *field = positive(src, v, what, 0, 255)? as u32;
        }
    }
    if let Some(v) = &t.initial_cwnd {
        c.initial_cwnd_segments = positive(src, v, "initial_cwnd (segments)", 1, 1000)? as u32;
    }
    if let Some(v) = &t.nagle {
        c.nagle = *v.get_ref();
    }
    if let Some(v) = &t.window_scaling {
        c.window_scaling = *v.get_ref();
    }
    if let Some(v) = &t.congestion {
        c.congestion = Algorithm::from_name(v.get_ref()).ok_or_else(|| {
            src.error(
                v.span(),
                format!(
                    "unknown congestion control `{}`: expected \"cubic\" or \"reno\"",
                    v.get_ref()
                ),
            )
        })?;
    }
    if let Some(v) = &t.syncookies {
        c.syncookies = *v.get_ref();
    }
    if let Some(v) = &t.fin_timeout {
        c.fin_timeout = duration(src, v)?;
    }
    Ok(c)
}

/// One interface as written, before validation.
pub(super) struct InterfaceInput<'a> {
    pub(super) name: Option<&'a Sp<String>>,
    pub(super) ip: Option<&'a Sp<String>>,
    pub(super) mask: Option<&'a Sp<String>>,
    pub(super) mac: Option<&'a Sp<String>>,
    pub(super) vlan: Option<&'a Sp<i64>>,
    pub(super) helper: Option<&'a Sp<String>>,
}

impl<'a> From<&'a model::InterfaceTable> for InterfaceInput<'a> {
    fn from(t: &'a model::InterfaceTable) -> Self {
        InterfaceInput {
            name: t.name.as_ref(),
            ip: t.ip.as_ref(),
            mask: t.mask.as_ref(),
            mac: t.mac.as_ref(),
            vlan: t.vlan.as_ref(),
            helper: t.helper.as_ref(),
        }
    }
}

/// Checks a sub-interface: `vlan = N` on an interface named `PARENT.SOMETHING`, whose parent
/// was listed before it and is not itself a sub-interface. Returns (parent index, VLAN).
fn sub_interface(
    src: &Src,
    v: &Sp<i64>,
    input: &InterfaceInput,
    name: &str,
    interfaces: &[InterfaceSpec],
) -> Result<(u16, u16), ScenarioError> {
    let vid = positive(src, v, "vlan", 1, 4094)? as u16;
    if let Some(m) = input.mac {
        return Err(src.error(
            m.span(),
            "a VLAN sub-interface uses its parent's MAC address: remove `mac`",
        ));
    }
    let parent_name = name.split_once('.').map(|(p, _)| p);
    let parent = parent_name.and_then(|p| {
        interfaces
            .iter()
            .position(|i| i.name == p && i.vlan.is_none())
    });
    match parent {
        Some(i) => Ok((i as u16, vid)),
        None => Err(src.error(
            input.name.map_or(v.span(), |n| n.span()),
            format!(
                "a VLAN sub-interface is named after its parent, listed before it: `eth0.{vid}` \
                 for VLAN {vid} on eth0 (found `{name}`)"
            ),
        )),
    }
}

/// Addresses handed out so far, to catch duplicates and to number default MACs.
#[derive(Default)]
pub(super) struct AddressBook {
    /// Interfaces created so far (the serial part of default MACs).
    serial: u32,
    /// MAC → (node name, where it was written, if it was).
    macs: BTreeMap<MacAddr, (String, Option<std::ops::Range<usize>>)>,
    /// IP → (node name, where it was written).
    ips: BTreeMap<Ipv4Addr, (String, std::ops::Range<usize>)>,
}

/// Parses `ip` (CIDR, or an address with a dotted `mask`).
fn parse_cidr(
    src: &Src,
    ip: &Sp<String>,
    mask: Option<&Sp<String>>,
) -> Result<Ipv4Cidr, ScenarioError> {
    let text = ip.get_ref().trim();
    if text.contains('/') {
        if let Some(m) = mask {
            return Err(src.error(
                m.span(),
                "the address already has a prefix (/N): give the mask once",
            ));
        }
        return Ipv4Cidr::from_str(text)
            .map_err(|e| src.error(ip.span(), format!("`{text}`: {e}")));
    }
    let addr = Ipv4Addr::from_str(text).map_err(|_| {
        src.error(
            ip.span(),
            format!("`{text}` is not an IPv4 address such as 192.168.1.10/24"),
        )
    })?;
    let Some(m) = mask else {
        return Err(src.error(
            ip.span(),
            format!(
                "`{text}` has no subnet mask: write `{text}/24` or add mask = \"255.255.255.0\""
            ),
        ));
    };
    let mask_addr = Ipv4Addr::from_str(m.get_ref().trim()).map_err(|_| {
        src.error(
            m.span(),
            format!(
                "`{}` is not a dotted mask such as 255.255.255.0",
                m.get_ref()
            ),
        )
    })?;
    Ipv4Cidr::from_netmask(addr, mask_addr).map_err(|e| src.error(m.span(), e.to_string()))
}

/// Parses one route: `DEST via GATEWAY`, `DEST dev IFACE` or `default via GATEWAY`.
pub(crate) fn parse_route(
    src: &Src,
    text: &Sp<String>,
    ifaces: &[InterfaceSpec],
) -> Result<Route, ScenarioError> {
    let words: Vec<&str> = text.get_ref().split_whitespace().collect();
    let bad = || {
        src.error(
            text.span(),
            format!(
                "`{}` is not a route: write \"10.0.3.0/24 via 10.0.2.2\", \"default via 10.0.0.254\" or \"10.0.3.0/24 dev eth1\"",
                text.get_ref()
            ),
        )
    };
    if words.len() != 3 {
        return Err(bad());
    }
    let dest = if words[0] == "default" {
        Ipv4Cidr::default_route()
    } else {
        let c = Ipv4Cidr::from_str(words[0])
            .map_err(|e| src.error(text.span(), format!("`{}`: {e}", words[0])))?;
        if c != c.network() {
            return Err(src.error(
                text.span(),
                format!(
                    "`{}` is not a network: did you mean {}?",
                    words[0],
                    c.network()
                ),
            ));
        }
        c
    };
    match words[1] {
        "via" => {
            let gw = Ipv4Addr::from_str(words[2]).map_err(|_| {
                src.error(
                    text.span(),
                    format!("`{}` is not an IPv4 gateway address", words[2]),
                )
            })?;
            let Some(iface) = ifaces
                .iter()
                .position(|i| i.addr.is_some_and(|c| c.contains(gw)))
            else {
                return Err(src.error(
                    text.span(),
                    format!(
                        "gateway {gw} is not on any of this node's subnets ({})",
                        subnet_list(ifaces)
                    ),
                ));
            };
            Ok(Route::via(dest, gw, iface))
        }
        "dev" => {
            let Some(iface) = ifaces.iter().position(|i| i.name == words[2]) else {
                return Err(src.error(
                    text.span(),
                    format!("this node has no interface `{}`", words[2]),
                ));
            };
            let mut r = Route::connected(dest, iface);
            r.kind = crate::ip::RouteKind::Static;
            Ok(r)
        }
        _ => Err(bad()),
    }
}

fn subnet_list(ifaces: &[InterfaceSpec]) -> String {
    let v: Vec<String> = ifaces
        .iter()
        .filter_map(|i| i.addr.map(|c| c.network().to_string()))
        .collect();
    if v.is_empty() {
        "it has no IP address".into()
    } else {
        v.join(", ")
    }
}

/// Validates a host's or router's interfaces and routes.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_host(
    src: &Src,
    book: &mut AddressBook,
    name: &Sp<String>,
    inputs: Vec<InterfaceInput>,
    routes: &[Sp<String>],
    gateway: Option<&Sp<String>>,
    promiscuous: bool,
    forwarding: bool,
    ttl: u8,
    tcp: crate::tcp::TcpConfig,
) -> Result<NodeSpec, ScenarioError> {
    let node_name = name.get_ref().clone();
    let mut interfaces: Vec<InterfaceSpec> = Vec::new();
    for (k, input) in inputs.into_iter().enumerate() {
        let iname = match input.name {
            Some(n) => {
                if interfaces.iter().any(|i| &i.name == n.get_ref()) {
                    return Err(src.error(
                        n.span(),
                        format!("`{node_name}` already has an interface `{}`", n.get_ref()),
                    ));
                }
                n.get_ref().clone()
            }
            None => format!("eth{k}"),
        };
        let vlan = match input.vlan {
            Some(v) => Some(sub_interface(src, v, &input, &iname, &interfaces)?),
            None => None,
        };
        let mac = match (input.mac, vlan) {
            // A VLAN sub-interface is its parent's NIC: the same address (as Linux's 8021q).
            (_, Some((parent, _))) => interfaces[usize::from(parent)].mac,
            (Some(m), None) => unicast_mac(src, m, "a NIC")?,
            (None, None) => default_mac(book.serial + 1),
        };
        let written = input.mac.map(|m| m.span());
        if vlan.is_none() {
            book.serial += 1;
        }
        if let Some((other, other_span)) = book.macs.get(&mac).filter(|_| vlan.is_none()) {
            let span = written
                .clone()
                .or(other_span.clone())
                .unwrap_or(name.span());
            let who = if *other == node_name {
                "another of its interfaces".to_string()
            } else {
                format!("`{other}`")
            };
            return Err(src.error(
                span,
                format!("duplicate MAC address {mac}: {who} has it too"),
            ));
        }
        book.macs.insert(mac, (node_name.clone(), written));
        let dhcp = input.ip.is_some_and(|ip| ip.get_ref().trim() == "dhcp");
        if let (true, Some(ip)) = (dhcp && forwarding, input.ip) {
            return Err(src.error(
                ip.span(),
                "a router's interfaces need fixed addresses, not DHCP",
            ));
        }
        let helper = super::dhcp::helper(src, input.helper, forwarding)?;
        let addr = match input.ip {
            Some(_) if dhcp => {
                if let Some(m) = input.mask {
                    return Err(src.error(m.span(), "the mask comes from DHCP with the address"));
                }
                None
            }
            Some(ip) => {
                let c = parse_cidr(src, ip, input.mask)?;
                if c.prefix_len() < 31
                    && (c.addr() == c.network_addr() || Some(c.addr()) == c.broadcast())
                {
                    let what = if c.addr() == c.network_addr() {
                        "network"
                    } else {
                        "broadcast"
                    };
                    return Err(src.error(
                        ip.span(),
                        format!(
                            "{} is the {what} address of {}: an interface needs a host address",
                            c.addr(),
                            c.network()
                        ),
                    ));
                }
                if let Some((owner, at)) = book.ips.get(&c.addr()) {
                    let (line, _) = super::error::line_col(&src.text, at.start);
                    return Err(src.error(
                        ip.span(),
                        format!(
                            "duplicate IP address {}: `{owner}` has it too (line {line})",
                            c.addr()
                        ),
                    ));
                }
                if let Some(other) = interfaces
                    .iter()
                    .find(|i| i.addr.is_some_and(|o| o.network() == c.network()))
                {
                    return Err(src.error(
                        ip.span(),
                        format!("{} is on the same subnet as interface {}: each interface needs its own subnet", c, other.name),
                    ));
                }
                book.ips.insert(c.addr(), (node_name.clone(), ip.span()));
                Some(c)
            }
            None => {
                if let Some(m) = input.mask {
                    return Err(src.error(m.span(), "a mask without an ip: add ip = \"…\""));
                }
                None
            }
        };
        interfaces.push(InterfaceSpec {
            name: iname,
            mac,
            promiscuous,
            addr,
            vlan,
            dhcp,
            helper,
        });
    }
    // Routes are checked against a real table so the rules (gateway on-link, no duplicates)
    // are the ones the host will apply.
    let mut table = RoutingTable::new();
    for (i, iface) in interfaces.iter().enumerate() {
        if let Some(c) = iface.addr {
            let _ = table.add_connected(c.network(), i);
        }
    }
    let mut extra = Vec::new();
    if let Some(gw) = gateway {
        let g = Ipv4Addr::from_str(gw.get_ref().trim()).map_err(|_| {
            src.error(
                gw.span(),
                format!("`{}` is not an IPv4 address", gw.get_ref()),
            )
        })?;
        let Some(iface) = interfaces
            .iter()
            .position(|i| i.addr.is_some_and(|c| c.contains(g)))
        else {
            return Err(src.error(
                gw.span(),
                format!("gateway {g} is outside `{node_name}`'s subnet ({}): a gateway must be on a local network", subnet_list(&interfaces)),
            ));
        };
        if interfaces[iface].addr.is_some_and(|c| c.addr() == g) {
            return Err(src.error(
                gw.span(),
                format!("{g} is `{node_name}`'s own address, not a gateway"),
            ));
        }
        let r = Route::default_via(g, iface);
        table
            .add(r)
            .map_err(|e| src.error(gw.span(), e.to_string()))?;
        extra.push(r);
    }
    for text in routes {
        let r = parse_route(src, text, &interfaces)?;
        table
            .add(r)
            .map_err(|e| src.error(text.span(), e.to_string()))?;
        extra.push(r);
    }
    Ok(NodeSpec {
        name: node_name,
        kind: NodeSpecKind::Host {
            interfaces,
            routes: extra,
            forwarding,
            ttl,
            tcp: Box::new(tcp),
            services: Box::default(),
        },
    })
}

/// Adds a host's DHCP server pools to its spec.
pub(super) fn with_dhcp_pools(
    src: &Src,
    mut spec: NodeSpec,
    tables: &[Sp<model::DhcpPoolTable>],
) -> Result<NodeSpec, ScenarioError> {
    if let NodeSpecKind::Host {
        interfaces,
        services,
        ..
    } = &mut spec.kind
    {
        services.dhcp_pools = super::dhcp::pools(src, tables, interfaces)?;
    }
    Ok(spec)
}
