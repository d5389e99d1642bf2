//! `[[tap]]` tables: the real kernel's side of a cable into the network (`crate::tap`).
//!
//! A tap is a one-port node; its cable is made here as a `[[link]]` between the tap and its
//! `attach` end, so ports, names and link settings follow the rules of every other cable.

use super::error::{ScenarioError, Src};
use super::model::{self, Sp};
use super::network::{NodeSpec, NodeSpecKind};
use super::spec::Scenario;
use crate::ip::Ipv4Cidr;
use crate::sim::NodeId;
use crate::tap::realtime::TapSpecs;
use crate::tap::{device::MAX_NAME_LEN, NetnsSpec, TapSpec};
use std::net::Ipv4Addr;

/// A scenario's TAPs for a real-time run (`tap::realtime::Taps::open`): each `[[tap]]` node
/// and its spec, in node order.
impl TapSpecs for Scenario {
    fn tap_specs(&self) -> Vec<(NodeId, &TapSpec)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.kind {
                NodeSpecKind::Tap(spec) => Some((NodeId(i as u32), spec)),
                _ => None,
            })
            .collect()
    }
}

/// The `[[tap]]` table a `--tap NAME@ATTACH[,netns=NS][,ip=CIDR][,gateway=IP]` stands for, as
/// TOML text, or what is wrong with it.
pub(crate) fn table_from_cli(spec: &str) -> Result<String, String> {
    let mut parts = spec.split(',');
    let head = parts.next().unwrap_or("");
    let Some((name, attach)) = head.split_once('@') else {
        return Err(
            "write NAME@ATTACH, such as nl0@sw1 (a switch), nl0@sw1:3 or nl0@alice, then \
             optionally ,netns=NS,ip=10.0.0.1/24,gateway=10.0.0.254"
                .into(),
        );
    };
    let quoted = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let mut table = format!(
        "[[tap]]\nname = {}\nattach = {}\n",
        quoted(name),
        quoted(attach)
    );
    for part in parts {
        match part.split_once('=') {
            Some((key @ ("netns" | "ip" | "gateway"), value)) => {
                table.push_str(&format!("{key} = {}\n", quoted(value)));
            }
            _ => {
                return Err(format!(
                    "`{part}`: after NAME@ATTACH come netns=NS, ip=CIDR or gateway=IP"
                ))
            }
        }
    }
    Ok(table)
}

/// The tap's node, and its cable as a link table.
pub(crate) fn build(
    src: &Src,
    t: &mut Sp<model::TapTable>,
) -> Result<(NodeSpec, model::LinkTable), ScenarioError> {
    let span = t.span();
    let t = t.get_mut();
    let name = t.name.get_ref().clone();
    if name.len() > MAX_NAME_LEN {
        return Err(src.error(
            t.name.span(),
            format!("`{name}` is also the kernel's interface name, and Linux allows at most {MAX_NAME_LEN} characters"),
        ));
    }
    let addr = match &t.ip {
        Some(ip) => Some(ip.get_ref().parse::<Ipv4Cidr>().map_err(|e| {
            src.error(
                ip.span(),
                format!("{e} (write the TAP's address as 10.0.0.1/24)"),
            )
        })?),
        None => None,
    };
    let ip_of = |v: &Sp<String>| -> Result<Ipv4Addr, ScenarioError> {
        v.get_ref().parse().map_err(|_| {
            src.error(
                v.span(),
                format!("`{}` is not an IPv4 address", v.get_ref()),
            )
        })
    };
    let mut routes = Vec::new();
    if let Some(g) = &t.gateway {
        routes.push((None, ip_of(g)?));
    }
    for r in &t.routes {
        let text = r.get_ref();
        let parsed = text.split_once(" via ").and_then(|(d, g)| {
            let d = if d.trim() == "default" {
                None
            } else {
                Some(d.trim().parse::<Ipv4Cidr>().ok()?.network())
            };
            Some((d, g.trim().parse::<Ipv4Addr>().ok()?))
        });
        match parsed {
            Some(route) => routes.push(route),
            None => {
                return Err(src.error(
                    r.span(),
                    format!("`{text}` is not a route: write \"10.0.2.0/24 via 10.0.1.254\""),
                ))
            }
        }
    }
    let netns = match &t.netns {
        Some(ns) => {
            let n = ns.get_ref();
            if n.is_empty()
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(src.error(
                    ns.span(),
                    format!(
                        "`{n}` is not a usable namespace name: use letters, digits, `-` and `_`"
                    ),
                ));
            }
            Some(NetnsSpec {
                name: n.clone(),
                addr,
                routes,
            })
        }
        None => {
            // Without a namespace of netlab's, the kernel side is the user's to configure:
            // netlab never changes the host's own addresses or routes.
            let given = [t.ip.as_ref(), t.gateway.as_ref(), t.routes.first()];
            if let Some(v) = given.into_iter().flatten().next() {
                return Err(src.error(
                    v.span(),
                    "the TAP's address and routes are set only inside a namespace netlab \
                     creates (add netns = \"NAME\"); without one, configure the TAP yourself \
                     (ip addr add … dev NAME): netlab never touches the host's own addresses \
                     or routes",
                ));
            }
            None
        }
    };
    let attach = t.attach.clone();
    let link = model::LinkTable {
        name: None,
        between: Sp::new(span, vec![Sp::new(t.name.span(), name.clone()), attach]),
        bandwidth: t.bandwidth.take(),
        delay: t.delay.take(),
        queue: t.queue.take(),
        ber: t.ber.take(),
        mtu: t.mtu.take(),
        loss: t.loss.take(),
        medium: None,
    };
    let node = NodeSpec {
        name: name.clone(),
        kind: NodeSpecKind::Tap(TapSpec {
            ifname: name,
            netns,
        }),
    };
    Ok((node, link))
}

#[cfg(test)]
mod tests {
    use crate::scenario::{NodeSpecKind, Scenario};

    const BASE: &str = "[scenario]\ndescription = \"t\"\n[[host]]\nname = \"alice\"\nip = \"10.0.0.2/24\"\n[[switch]]\nname = \"sw1\"\n[[link]]\nbetween = [\"alice\", \"sw1\"]\n";

    #[test]
    fn a_tap_is_a_one_port_node_cabled_to_its_attach_end() {
        let text = format!(
            "{BASE}[[tap]]\nname = \"nl0\"\nattach = \"sw1\"\nnetns = \"ns1\"\nip = \"10.0.0.1/24\"\nroutes = [\"10.0.9.0/24 via 10.0.0.254\"]\ndelay = \"20ms\"\nloss = 0.02\n"
        );
        let scn = Scenario::parse("t.toml", &text).unwrap();
        assert!(scn.has_taps());
        let tap = scn.node_id("nl0").unwrap().0 as usize;
        let NodeSpecKind::Tap(spec) = &scn.nodes[tap].kind else {
            panic!("not a tap");
        };
        let ns = spec.netns.as_ref().unwrap();
        assert_eq!(ns.addr.unwrap().to_string(), "10.0.0.1/24");
        assert_eq!(ns.routes[0].0.unwrap().to_string(), "10.0.9.0/24");
        let link = scn.links.iter().find(|l| l.name == "nl0--sw1").unwrap();
        assert_eq!(
            link.ends,
            [(tap, 0), (scn.node_id("sw1").unwrap().0 as usize, 1)]
        );
        assert_eq!(link.config.loss, 0.02);
    }

    #[test]
    fn mistakes_are_located() {
        let cases = [
            ("name = \"nl0\"\nattach = \"sw9\"", "no node called `sw9`"),
            (
                "name = \"nl0\"\nattach = \"sw1\"\nip = \"10.0.0.1/24\"",
                "netlab never touches the host's own",
            ),
            (
                "name = \"a-very-long-tap-name\"\nattach = \"sw1\"",
                "at most 15 characters",
            ),
            ("name = \"nl0\"\nattach = \"alice\"", "already used by link"),
            (
                "name = \"nl0\"\nattach = \"sw1\"\nnetns = \"x y\"",
                "is not a usable name",
            ),
            (
                "name = \"nl0\"\nattach = \"sw1\"\nnetns = \"n\"\nroutes = [\"bad\"]",
                "is not a route",
            ),
        ];
        for (tap, want) in cases {
            let text = format!("{BASE}[[tap]]\n{tap}\n");
            let e = Scenario::parse("t.toml", &text).unwrap_err().to_string();
            assert!(e.contains(want), "{tap}: {e}");
            assert!(e.starts_with("t.toml:1"), "{tap}: located: {e}");
        }
    }
}
