//! Scenario files: a network, a timeline of actions and the expectations that make the scenario
//! check itself.
//!
//! A scenario is TOML (`scenarios/*.toml`). Loading parses and validates everything up front:
//! names, units, addresses, every timeline line and every expectation, so a mistake is reported
//! before anything runs, at its file, line and column. The result, [`Scenario`], can be
//! instantiated into a fresh [`World`] any number of times (a determinism check runs it twice;
//! the stepper re-runs it to step back).
//!
//! ```toml
//! [scenario]
//! description = "Two hosts on one cable."
//! seed = 1
//!
//! [[host]]
//! name = "alice"
//! [[host]]
//! name = "bob"
//!
//! [[link]]
//! between = ["alice", "bob"]
//! bandwidth = "100Mbps"
//! delay = "5us"
//!
//! [timeline]
//! steps = '''
//! 1ms alice send-frame to=bob text="hello"
//! '''
//!
//! [expect]
//! checks = '''
//! end bob.raw_delivered == 1
//! '''
//! ```

mod args;
mod build;
mod dhcp;
mod dns;
pub mod error;
mod expect;
mod hosts;
mod instantiate;
pub mod line;
mod media;
mod model;
mod names;
mod programs;
mod run;
mod tally;
mod taps;
mod timeline;
mod values;

pub use error::ScenarioError;
pub use expect::{Check, CheckResult, Seen, When};
pub use run::{next_event, run, run_paced, run_streaming, step_event, Outcome, RunOptions};
pub use tally::Tally;
pub use timeline::{Action, ActionKind};

use crate::ethernet::MacAddr;
use crate::phy::LinkConfig;
use crate::sim::{Limits, World};
use crate::switch::MacTableConfig;
use crate::time::Instant;
use std::ops::Range;
use std::sync::Arc;

/// A network interface of a host, as the scenario declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceSpec {
    pub name: String,
    pub mac: MacAddr,
    pub promiscuous: bool,
    pub addr: Option<crate::ip::Ipv4Cidr>,
    /// An 802.1Q sub-interface: (parent interface index, VLAN id).
    pub vlan: Option<(u16, u16)>,
    /// `ip = "dhcp"`: the address comes from a DHCP server.
    pub dhcp: bool,
    /// A router's DHCP relay target (`helper = "10.0.0.5"`).
    pub helper: Option<std::net::Ipv4Addr>,
}

/// A host's LAN services, as the scenario gives them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostServices {
    /// A DHCP server's pools (none: no server).
    pub dhcp_pools: Vec<crate::dhcp::Pool>,
    /// `dns = "10.0.0.53"`: the resolver's server.
    pub dns: Option<std::net::Ipv4Addr>,
    /// `dns_zone`: the records a DNS server on this host answers with (none: no server).
    pub dns_zone: Vec<crate::dns::wire::Answer>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeSpecKind {
    /// A host, or a router when `forwarding`.
    Host {
        interfaces: Vec<InterfaceSpec>,
        /// Routes besides the connected ones (default route, static routes).
        routes: Vec<crate::ip::Route>,
        forwarding: bool,
        ttl: u8,
        /// TCP settings (Linux's defaults unless the scenario says otherwise).
        tcp: Box<crate::tcp::TcpConfig>,
        /// DHCP server pools, DNS resolver and zone.
        services: Box<HostServices>,
    },
    Switch {
        ports: u16,
        table: MacTableConfig,
        /// Spanning tree settings, when the switch runs it.
        stp: Option<crate::switch::stp::StpConfig>,
        /// Ports' VLAN settings (0-based ports; `None`: no VLANs, every frame in VLAN 1).
        vlans: Option<Vec<(u16, crate::switch::PortVlan)>>,
    },
    Hub {
        ports: u16,
        /// Its cables are one shared medium with CSMA/CD (`half_duplex = true`).
        half_duplex: bool,
    },
    /// The kernel's side of a TAP (one port).
    Tap(crate::tap::TapSpec),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    pub name: String,
    pub kind: NodeSpecKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    pub name: String,
    /// `(node index, port index)` of each end.
    pub ends: [(usize, u16); 2],
    pub config: LinkConfig,
    /// `medium = "shared"`: one half-duplex cable, its two ends one collision domain.
    pub shared: bool,
}

/// The interfaces of a host or router (none for switches and hubs).
pub fn host_ifaces(n: &NodeSpec) -> &[InterfaceSpec] {
    match &n.kind {
        NodeSpecKind::Host { interfaces, .. } => interfaces,
        _ => &[],
    }
}

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: String,
    pub source: Arc<str>,
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// Run until this time; `None`: until nothing is left to do.
    pub stop: Option<Instant>,
    pub limits: Limits,
    pub nodes: Vec<NodeSpec>,
    pub links: Vec<LinkSpec>,
    /// Timeline actions in time order (stable for equal times).
    pub actions: Vec<Action>,
    pub checks: Vec<Check>,
}

/// Where in the file something was written, to turn later findings into errors.
#[derive(Clone)]
pub(crate) struct Src {
    pub path: String,
    pub text: Arc<str>,
}

impl Src {
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(&self.path, self.text.clone(), span, message)
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(path, &read_text(path)?)
    }

    /// Reads a scenario file and adds a `[[tap]]` for each `--tap` of the command line, written
    /// `NAME@ATTACH[,netns=NS][,ip=CIDR][,gateway=IP]` (the keys of a `[[tap]]` table). An
    /// error in one is reported against the `--tap` that caused it.
    pub fn load_with_taps(path: &str, taps: &[String]) -> Result<Scenario, ScenarioError> {
        let mut text = read_text(path)?;
        // Where each `--tap`'s table starts in the text, to report an error against it.
        let mut starts = Vec::new();
        for spec in taps {
            let table = taps::table_from_cli(spec)
                .map_err(|m| ScenarioError::whole_file(&format!("--tap {spec}"), m))?;
            text.push_str(&format!("\n# --tap {spec}\n"));
            starts.push((text.len(), spec, table.len()));
            text.push_str(&table);
        }
        Scenario::parse(path, &text).map_err(|e| {
            match starts.iter().rev().find(|(at, ..)| e.span.start >= *at) {
                Some(&(at, spec, len)) => ScenarioError::new(
                    &format!("--tap {spec}"),
                    Arc::from(&text[at..at + len]),
                    e.span.start - at..e.span.end.saturating_sub(at),
                    e.message,
                ),
                None => e,
            }
        })
    }

    /// Validates scenario text; `path` is only used in error messages.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let src = Src {
            path: path.to_string(),
            text: Arc::from(text),
        };
        let file: model::File = toml::from_str(text).map_err(|e| toml_error(&src, &e))?;
        build::validate(&src, file)
    }

    /// The timeline lines as written, indexed like [`Action::line`] (for trace views).
    pub fn action_texts(&self) -> Vec<String> {
        self.actions.iter().map(|a| a.text.clone()).collect()
    }

    /// The id the node called `name` gets in this scenario's world.
    pub fn node_id(&self, name: &str) -> Option<crate::sim::NodeId> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        Some(crate::sim::NodeId(i as u32))
    }

    /// The id the link called `name` gets in this scenario's world.
    pub fn link_id(&self, name: &str) -> Option<crate::sim::LinkId> {
        let i = self.links.iter().position(|l| l.name == name)?;
        Some(crate::sim::LinkId(i as u32))
    }

    /// The node names, for an error about a name that is not one: "alice, bob, sw1".
    pub fn node_names(&self) -> String {
        let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        names.join(", ")
    }

    /// The link names, for an error about a name that is not one.
    pub fn link_names(&self) -> String {
        let names: Vec<&str> = self.links.iter().map(|l| l.name.as_str()).collect();
        names.join(", ")
    }

    /// Whether the scenario has a `[[tap]]`: it talks to the real kernel and runs only in real
    /// time (`crate::tap::realtime`).
    pub fn has_taps(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n.kind, NodeSpecKind::Tap(_)))
    }

    /// A fresh world for this scenario. `seed` overrides the file's seed.
    pub fn instantiate(&self, seed: Option<u64>, trace: crate::trace::Trace) -> World {
        instantiate::instantiate(self, seed.unwrap_or(self.seed), trace)
    }
}

/// A scenario file's text; a byte that is not UTF-8 is a located error.
fn read_text(path: &str) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ScenarioError::whole_file(path, format!("cannot read the scenario file: {e}"))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // Located at the first bad byte: the text before it is valid and shown as is.
        let at = e.utf8_error().valid_up_to();
        let bad = e.as_bytes()[at];
        let shown: Arc<str> = Arc::from(String::from_utf8_lossy(e.as_bytes()).as_ref());
        ScenarioError::new(
            path,
            shown,
            at..at + 1,
            format!("byte 0x{bad:02x} is not UTF-8: a scenario file must be UTF-8 text"),
        )
    })
}

/// Turns a TOML/serde error into a positioned scenario error with a friendlier message.
fn toml_error(src: &Src, e: &toml::de::Error) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let raw = e.message().trim().to_string();
    // serde's "unknown field `x`, expected one of `a`, `b`" is already what we want; reword the
    // two messages newcomers meet most.
    let message = if let Some(rest) = raw.strip_prefix("unknown field") {
        format!("unknown key{rest}")
    } else if let Some(rest) = raw.strip_prefix("missing field") {
        format!("missing key{rest}")
    } else if raw == "duplicate key" {
        // The span covers the key written the second time.
        let key = src.text.get(span.clone()).unwrap_or("").trim();
        format!("duplicate key `{key}`: each key may be given once per table")
    } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
        // Name the key, and say "array"/"table" as TOML does, not serde's "sequence"/"map".
        let rest = rest.replace("sequence", "array").replace(" map", " table");
        match key_before(&src.text, span.start) {
            Some(key) => format!("`{key}` has the wrong type: found {rest}"),
            None => format!("wrong type: found {rest}"),
        }
    } else {
        raw
    };
    src.error(span, message)
}

/// The key of the `key = value` line whose value starts at `offset`, if there is one.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.split_once('=')?.0.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.\"' ".contains(c));
    ok.then_some(key)
}
