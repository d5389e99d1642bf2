//! The scenario's DHCP settings: `ip = "dhcp"` (in `build.rs`), a host's `dhcp_pools`, a
//! router interface's `helper`.

use super::error::{ScenarioError, Src};
use super::model::{DhcpPoolTable, Sp};
use super::network::InterfaceSpec;
use super::values::duration;
use crate::dhcp::Pool;
use crate::ip::Ipv4Cidr;
use crate::time::Duration;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// dnsmasq's default lease time (ISC dhcpd's is 12 h); one hour keeps a lesson's renewals
/// in reach.
const DEFAULT_LEASE: Duration = Duration::from_secs(3600);

fn address(src: &Src, v: &Sp<String>, what: &str) -> Result<Ipv4Addr, ScenarioError> {
    Ipv4Addr::from_str(v.get_ref().trim()).map_err(|_| {
        src.error(
            v.span(),
            format!("`{}` is not an IPv4 address ({what})", v.get_ref()),
        )
    })
}

/// A DHCP client renews its lease for ever, so a run "until nothing is left to do" would
/// never end: a scenario with one needs a `stop` time.
pub(crate) fn needs_stop(src: &Src, ip: &Sp<String>) -> ScenarioError {
    src.error(
        ip.span(),
        "a DHCP client renews its lease for ever: give the scenario a `stop` time \
         ([scenario] stop = \"60s\")",
    )
}

/// The `helper` of a router's interface.
pub(crate) fn helper(
    src: &Src,
    v: Option<&Sp<String>>,
    forwarding: bool,
) -> Result<Option<Ipv4Addr>, ScenarioError> {
    let Some(v) = v else {
        return Ok(None);
    };
    if !forwarding {
        return Err(src.error(
            v.span(),
            "`helper` (a DHCP relay) belongs on a router's interface",
        ));
    }
    let server = address(src, v, "the DHCP server requests are relayed to")?;
    // A relay unicasts to one server (RFC 1542 §4.1): these addresses reach none.
    let why = if server.is_unspecified() {
        Some("0.0.0.0 is no server")
    } else if server.is_broadcast() {
        Some("a relay sends to one server, not to the broadcast address")
    } else if server.is_loopback() {
        Some("a loopback address is the router itself")
    } else if server.is_multicast() {
        Some("a relay sends to one server, not to a multicast group")
    } else {
        None
    };
    match why {
        Some(why) => Err(src.error(v.span(), format!("`helper = \"{server}\"`: {why}"))),
        None => Ok(Some(server)),
    }
}

/// A host's or router's `dhcp_pools`, checked against its interfaces.
pub(crate) fn pools(
    src: &Src,
    tables: &[Sp<DhcpPoolTable>],
    interfaces: &[InterfaceSpec],
) -> Result<Vec<Pool>, ScenarioError> {
    let mut pools: Vec<Pool> = Vec::new();
    if !tables.is_empty() && interfaces.iter().all(|i| i.addr.is_none()) {
        return Err(src.error(
            tables[0].span(),
            "a DHCP server needs a fixed address: give this node an `ip`",
        ));
    }
    for t in tables {
        let t = t.get_ref();
        let text = t.range.get_ref().trim();
        let bad = || {
            src.error(
                t.range.span(),
                format!("`{text}` is not a range such as \"10.0.0.100-10.0.0.199/24\""),
            )
        };
        let (range, prefix) = text.split_once('/').ok_or_else(bad)?;
        let (a, b) = range.split_once('-').ok_or_else(bad)?;
        let first = Ipv4Addr::from_str(a.trim()).map_err(|_| bad())?;
        let last = Ipv4Addr::from_str(b.trim()).map_err(|_| bad())?;
        let subnet = Ipv4Cidr::from_str(&format!("{first}/{}", prefix.trim()))
            .map_err(|e| src.error(t.range.span(), format!("`{text}`: {e}")))?
            .network();
        if !subnet.contains(last) || u32::from(last) < u32::from(first) {
            return Err(src.error(
                t.range.span(),
                format!("{first}-{last} is not a range inside {subnet}"),
            ));
        }
        if subnet.is_network_address(first) || subnet.is_broadcast(last) {
            return Err(src.error(
                t.range.span(),
                format!("the range must leave out {subnet}'s network and broadcast addresses"),
            ));
        }
        if let Some(p) = pools.iter().find(|p| p.subnet == subnet) {
            return Err(src.error(
                t.range.span(),
                format!("a second pool for {}: one pool per subnet", p.subnet),
            ));
        }
        let lease = match &t.lease {
            Some(v) => duration(src, v)?,
            None => DEFAULT_LEASE,
        };
        if lease < Duration::from_secs(1) || lease.as_nanos() > u64::from(u32::MAX) * 1_000_000_000
        {
            let v = t.lease.as_ref().expect("the default is in range");
            return Err(src.error(v.span(), "a lease is from 1 s to 2^32 - 1 s"));
        }
        let router = match &t.router {
            Some(v) => {
                let r = address(src, v, "the router given to clients")?;
                if !subnet.contains(r) {
                    return Err(src.error(v.span(), format!("router {r} is outside {subnet}")));
                }
                Some(r)
            }
            None => None,
        };
        let dns = match &t.dns {
            Some(v) => Some(address(src, v, "the DNS server given to clients")?),
            None => None,
        };
        pools.push(Pool {
            subnet,
            first,
            last,
            lease,
            router,
            dns,
        });
    }
    Ok(pools)
}
