//! The spanning tree protocol of IEEE 802.1D-1998 (clause 8, "classic" STP), sans-IO.
//!
//! One [`Stp`] per switch: it takes `now` and a received BPDU, a link going up or down, or a
//! timer, and leaves in [`Stp::take_output`] the BPDUs to send, the ports whose role or state
//! changed, and the start and end of a topology change (when the MAC table ages entries out
//! after the forward delay instead of 300 s). [`Stp::poll_at`] is its next deadline.
//!
//! The procedures follow the standard's (8.6–8.8) in the form Linux's bridge implements them
//! (`net/bridge/br_stp.c`, `br_stp_timer.c`, `br_stp_if.c`), function for function, so the
//! behaviour can be checked against a real bridge: root and designated port selection, the
//! listening and learning states lasting the forward delay each, the stored information
//! aging out after max age, TCN BPDUs repeated every hello time until the root's
//! acknowledgment, and the root's topology-change flag for forward delay + max age.
//!
//! RSTP (802.1w) is not implemented: its proposal/agreement handshake is a different machine,
//! not a few more states of this one.

use super::bpdu::{Bpdu, BridgeId, ConfigBpdu};
use crate::ethernet::MacAddr;
use crate::time::{Duration, Instant};
use std::fmt;

/// A bridge's spanning tree settings (802.1D-1998 table 8-3 defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct StpConfig {
    /// Bridge priority: the high 16 bits of the bridge id (default 32768).
    pub priority: u16,
    /// The bridge's address: the low 48 bits of the bridge id, and the BPDUs' source.
    pub mac: MacAddr,
    pub hello_time: Duration,
    pub max_age: Duration,
    pub forward_delay: Duration,
}

impl StpConfig {
    pub fn new(mac: MacAddr) -> Self {
        StpConfig {
            priority: 32768,
            mac,
            hello_time: Duration::from_secs(2),
            max_age: Duration::from_secs(20),
            forward_delay: Duration::from_secs(15),
        }
    }
}

/// Least time between two configuration BPDUs on one port (8.10.2, hold time).
pub const HOLD_TIME: Duration = Duration::from_secs(1);
/// What each bridge adds to a BPDU's message age when it relays it. 802.1D-1998 leaves the
/// amount to the bridge (Linux adds 1/256 s, Cisco 1 s); 1 s keeps the hop count readable.
pub const MESSAGE_AGE_INCREMENT: Duration = Duration::from_secs(1);
/// Port priority (the high byte of a port id), 802.1D default.
pub const PORT_PRIORITY: u8 = 0x80;

/// The path cost 802.1D-1998 (table 8-5) recommends for a link's speed: 100 at 10 Mb/s, 19 at
/// 100 Mb/s, 4 at 1 Gb/s, 2 at 10 Gb/s (what Linux's bridge and most switches use).
pub fn path_cost(bps: u64) -> u32 {
    match bps {
        b if b >= 10_000_000_000 => 2,
        b if b >= 1_000_000_000 => 4,
        b if b >= 100_000_000 => 19,
        b if b >= 16_000_000 => 62,
        b if b >= 10_000_000 => 100,
        b if b >= 4_000_000 => 250,
        _ => 65535,
    }
}

/// A port's state (802.1D-1998 8.4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PortState {
    /// No link, or administratively off: takes no part.
    Disabled,
    /// Receives BPDUs only.
    Blocking,
    /// Takes part in the election, neither learns nor forwards (forward delay).
    Listening,
    /// Learns source addresses, does not forward yet (forward delay).
    Learning,
    Forwarding,
}

impl PortState {
    pub fn name(self) -> &'static str {
        match self {
            PortState::Disabled => "disabled",
            PortState::Blocking => "blocking",
            PortState::Listening => "listening",
            PortState::Learning => "learning",
            PortState::Forwarding => "forwarding",
        }
    }
    pub fn learns(self) -> bool {
        matches!(self, PortState::Learning | PortState::Forwarding)
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A port's role in the tree. Classic STP names only root and designated ports; the others
/// are blocked, called `alternate` here as RSTP (and Cisco's show output) calls them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PortRole {
    Disabled,
    /// The port towards the root: the best path.
    Root,
    /// The port that serves its segment: forwards towards the leaves.
    Designated,
    /// Hears a better bridge on its segment: blocked, the spare path.
    Alternate,
}

impl PortRole {
    pub fn name(self) -> &'static str {
        match self {
            PortRole::Disabled => "disabled",
            PortRole::Root => "root",
            PortRole::Designated => "designated",
            PortRole::Alternate => "alternate",
        }
    }
}

impl fmt::Display for PortRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What the protocol asks of the switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StpOutput {
    /// Send this BPDU out of `port` (0-based).
    Send { port: u16, bpdu: Bpdu },
    /// The port's role or state changed.
    Port {
        port: u16,
        role: PortRole,
        state: PortState,
    },
    /// A topology change started (`true`: age MAC entries out after the forward delay) or ended.
    TopologyChange(bool),
}

/// One port's view (for `show stp`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PortView {
    pub id: u16,
    pub role: PortRole,
    pub state: PortState,
    pub path_cost: u32,
    pub designated_root: BridgeId,
    pub designated_cost: u32,
    pub designated_bridge: BridgeId,
    pub designated_port: u16,
}

#[derive(Clone, Debug)]
struct Port {
    id: u16,
    path_cost: u32,
    state: PortState,
    designated_root: BridgeId,
    designated_cost: u32,
    designated_bridge: BridgeId,
    designated_port: u16,
    /// When the stored information arrived, and its message age then.
    info_rx: Instant,
    info_age: Duration,
    topology_change_ack: bool,
    config_pending: bool,
    message_age_timer: Option<Instant>,
    forward_delay_timer: Option<Instant>,
    hold_timer: Option<Instant>,
    reported: (PortRole, PortState),
}

/// The spanning tree state of one bridge.
#[derive(Clone, Debug)]
pub struct Stp {
    pub config: StpConfig,
    id: BridgeId,
    designated_root: BridgeId,
    root_path_cost: u32,
    root_port: Option<u16>,
    /// The timer values in use: the root's, learned from its BPDUs.
    max_age: Duration,
    hello_time: Duration,
    forward_delay: Duration,
    topology_change: bool,
    topology_change_detected: bool,
    hello_timer: Option<Instant>,
    tcn_timer: Option<Instant>,
    topology_change_timer: Option<Instant>,
    ports: Vec<Port>,
    out: Vec<StpOutput>,
    reported_tc: bool,
}

impl Stp {
    /// A bridge starting at `now`: its ports with a link (`costs[i]` is `Some(path cost)`) go
    /// to blocking and at once to listening as designated ports of a bridge that believes it
    /// is the root (8.8.1), and it sends its first configuration BPDUs at once.
    pub fn new(now: Instant, config: StpConfig, costs: &[Option<u32>]) -> Self {
        let id = BridgeId::new(config.priority, config.mac);
        let ports = costs
            .iter()
            .enumerate()
            .map(|(i, c)| Port {
                id: (u16::from(PORT_PRIORITY) << 8) | ((i as u16 + 1) & 0xff),
                path_cost: c.unwrap_or(19),
                state: PortState::Disabled,
                designated_root: id,
                designated_cost: 0,
                designated_bridge: id,
                designated_port: 0,
                info_rx: now,
                info_age: Duration::ZERO,
                topology_change_ack: false,
                config_pending: false,
                message_age_timer: None,
                forward_delay_timer: None,
                hold_timer: None,
                reported: (PortRole::Disabled, PortState::Disabled),
            })
            .collect();
        let mut s = Stp {
            id,
            designated_root: id,
            root_path_cost: 0,
            root_port: None,
            max_age: config.max_age,
            hello_time: config.hello_time,
            forward_delay: config.forward_delay,
            topology_change: false,
            topology_change_detected: false,
            hello_timer: Some(now),
            tcn_timer: None,
            topology_change_timer: None,
            ports,
            out: Vec::new(),
            reported_tc: false,
            config,
        };
        for (i, c) in costs.iter().enumerate() {
            if c.is_some() {
                s.init_port(i);
            }
        }
        s.port_state_selection(now);
        s.report();
        s
    }

    pub fn bridge_id(&self) -> BridgeId {
        self.id
    }

    pub fn root_id(&self) -> BridgeId {
        self.designated_root
    }

    pub fn root_path_cost(&self) -> u32 {
        self.root_path_cost
    }

    pub fn root_port(&self) -> Option<u16> {
        self.root_port
    }

    pub fn is_root(&self) -> bool {
        self.designated_root == self.id
    }

    pub fn topology_change(&self) -> bool {
        self.topology_change
    }

    /// The timers in use (the root's): max age, hello time, forward delay.
    pub fn timers(&self) -> (Duration, Duration, Duration) {
        (self.max_age, self.hello_time, self.forward_delay)
    }

    pub fn port_state(&self, port: u16) -> PortState {
        self.ports
            .get(port as usize)
            .map_or(PortState::Disabled, |p| p.state)
    }

    pub fn port_count(&self) -> usize {
        self.ports.len()
    }

    pub fn port_view(&self, port: u16) -> PortView {
        let i = port as usize;
        let p = &self.ports[i];
        PortView {
            id: p.id,
            role: self.role(i),
            state: p.state,
            path_cost: p.path_cost,
            designated_root: p.designated_root,
            designated_cost: p.designated_cost,
            designated_bridge: p.designated_bridge,
            designated_port: p.designated_port,
        }
    }

    /// Outputs produced since the last call, in order.
    pub fn take_output(&mut self, into: &mut Vec<StpOutput>) {
        into.append(&mut self.out);
    }

    /// The next time a timer runs out.
    pub fn poll_at(&self) -> Option<Instant> {
        let bridge = [self.hello_timer, self.tcn_timer, self.topology_change_timer];
        let ports = self
            .ports
            .iter()
            .flat_map(|p| [p.message_age_timer, p.forward_delay_timer, p.hold_timer]);
        bridge.into_iter().chain(ports).flatten().min()
    }

    fn role(&self, i: usize) -> PortRole {
        let p = &self.ports[i];
        if p.state == PortState::Disabled {
            PortRole::Disabled
        } else if self.root_port == Some(i as u16) {
            PortRole::Root
        } else if self.is_designated_port(i) {
            PortRole::Designated
        } else {
            PortRole::Alternate
        }
    }

    /// Compares each port's role and state, and the topology change flag, with what was last
    /// reported, and reports the differences.
    fn report(&mut self) {
        for i in 0..self.ports.len() {
            let now = (self.role(i), self.ports[i].state);
            if self.ports[i].reported != now {
                self.ports[i].reported = now;
                self.out.push(StpOutput::Port {
                    port: i as u16,
                    role: now.0,
                    state: now.1,
                });
            }
        }
        if self.reported_tc != self.topology_change {
            self.reported_tc = self.topology_change;
            self.out
                .push(StpOutput::TopologyChange(self.topology_change));
        }
    }

    // ---- inputs ----

    /// A BPDU received on `port` (802.1D-1998 8.7.1, 8.7.2; Linux `br_received_config_bpdu`,
    /// `br_received_tcn_bpdu`).
    pub fn on_bpdu(&mut self, now: Instant, port: u16, bpdu: &Bpdu) {
        let i = port as usize;
        if self.port_state(port) == PortState::Disabled {
            return;
        }
        match bpdu {
            Bpdu::Config(c) => self.received_config(now, i, c),
            Bpdu::Tcn => {
                if self.is_designated_port(i) {
                    self.topology_change_detection(now);
                    // Acknowledge it on the port it came from (8.6.16).
                    self.ports[i].topology_change_ack = true;
                    self.transmit_config(now, i);
                }
            }
        }
        self.report();
    }

    fn received_config(&mut self, now: Instant, i: usize, c: &ConfigBpdu) {
        let was_root = self.is_root();
        if self.supersedes_port_info(i, c) {
            // Record the information and when it ages out (8.6.2).
            let p = &mut self.ports[i];
            p.designated_root = c.root;
            p.designated_cost = c.root_path_cost;
            p.designated_bridge = c.bridge;
            p.designated_port = c.port;
            p.info_rx = now;
            p.info_age = c.message_age;
            p.message_age_timer = Some(now + c.max_age.saturating_sub(c.message_age));
            self.configuration_update();
            self.port_state_selection(now);
            if !self.is_root() && was_root {
                self.hello_timer = None;
                if self.topology_change_detected {
                    self.topology_change_timer = None;
                    self.transmit_tcn(now);
                    self.tcn_timer = Some(now + self.config.hello_time);
                }
            }
            if self.root_port == Some(i as u16) {
                // The root's timers and topology change flag rule the whole tree (8.6.3).
                self.max_age = c.max_age;
                self.hello_time = c.hello_time;
                self.forward_delay = c.forward_delay;
                self.topology_change = c.topology_change;
                self.config_bpdu_generation(now);
                if c.topology_change_ack {
                    self.topology_change_detected = false;
                    self.tcn_timer = None;
                }
            }
        } else if self.is_designated_port(i) {
            // An inferior BPDU on our segment: tell the sender who is designated (8.6.4).
            self.transmit_config(now, i);
        }
    }

    /// The link of `port` came up (8.8.2 enable port).
    pub fn link_up(&mut self, now: Instant, port: u16) {
        let i = port as usize;
        if i >= self.ports.len() || self.port_state(port) != PortState::Disabled {
            return;
        }
        self.init_port(i);
        self.port_state_selection(now);
        self.report();
    }

    /// The link of `port` went down (8.8.3 disable port): its information is forgotten at
    /// once, and if it was the root port another port takes over without waiting for max age.
    pub fn link_down(&mut self, now: Instant, port: u16) {
        let i = port as usize;
        if self.port_state(port) == PortState::Disabled {
            return;
        }
        let was_root = self.is_root();
        // 8.8.2 starts as initialization does (8.8.1), with the port disabled, not blocking.
        self.init_port(i);
        self.ports[i].state = PortState::Disabled;
        self.configuration_update();
        self.port_state_selection(now);
        if self.is_root() && !was_root {
            self.become_root_bridge(now);
        }
        self.report();
    }

    /// Runs every timer due at `now`, earliest first (ties: bridge timers, then ports in order).
    pub fn on_timer(&mut self, now: Instant) {
        loop {
            let mut due: Option<(Instant, usize, usize)> = None;
            let mut consider = |t: Option<Instant>, kind: usize, port: usize| {
                if let Some(t) = t.filter(|t| *t <= now) {
                    if due.is_none_or(|d| (t, kind, port) < d) {
                        due = Some((t, kind, port));
                    }
                }
            };
            consider(self.hello_timer, 0, 0);
            consider(self.tcn_timer, 1, 0);
            consider(self.topology_change_timer, 2, 0);
            for (i, p) in self.ports.iter().enumerate() {
                consider(p.message_age_timer, 3, i);
                consider(p.forward_delay_timer, 4, i);
                consider(p.hold_timer, 5, i);
            }
            let Some((_, kind, i)) = due else { break };
            match kind {
                0 => {
                    // Hello timer (8.7.6): only the root runs it.
                    self.config_bpdu_generation(now);
                    self.hello_timer = Some(now + self.config.hello_time);
                }
                1 => {
                    // TCN timer (8.7.7): repeat the notification until acknowledged.
                    self.transmit_tcn(now);
                    self.tcn_timer = Some(now + self.config.hello_time);
                }
                2 => {
                    // Topology change timer (8.7.8).
                    self.topology_change_timer = None;
                    self.topology_change_detected = false;
                    self.topology_change = false;
                }
                3 => self.message_age_expiry(now, i),
                4 => self.forward_delay_expiry(now, i),
                _ => {
                    self.ports[i].hold_timer = None;
                    if self.ports[i].config_pending {
                        self.transmit_config(now, i);
                    }
                }
            }
        }
        self.report();
    }

    /// Message age timer (8.7.5): the information stored for the port was not refreshed for
    /// max age. The port becomes designated for its segment and the tree is computed again.
    fn message_age_expiry(&mut self, now: Instant, i: usize) {
        self.ports[i].message_age_timer = None;
        let was_root = self.is_root();
        self.become_designated_port(i);
        self.configuration_update();
        self.port_state_selection(now);
        if self.is_root() && !was_root {
            self.become_root_bridge(now);
        }
    }

    /// Forward delay timer (8.7.4): listening → learning → forwarding.
    fn forward_delay_expiry(&mut self, now: Instant, i: usize) {
        let p = &mut self.ports[i];
        p.forward_delay_timer = None;
        match p.state {
            PortState::Listening => {
                p.state = PortState::Learning;
                p.forward_delay_timer = Some(now + self.forward_delay);
            }
            PortState::Learning => {
                p.state = PortState::Forwarding;
                if (0..self.ports.len()).any(|j| self.is_designated_port(j)) {
                    self.topology_change_detection(now);
                }
            }
            _ => {}
        }
    }

    // ---- the standard's procedures (8.6) ----

    fn init_port(&mut self, i: usize) {
        self.become_designated_port(i);
        let p = &mut self.ports[i];
        p.state = PortState::Blocking;
        p.topology_change_ack = false;
        p.config_pending = false;
        p.message_age_timer = None;
        p.forward_delay_timer = None;
        p.hold_timer = None;
    }

    fn become_root_bridge(&mut self, now: Instant) {
        self.max_age = self.config.max_age;
        self.hello_time = self.config.hello_time;
        self.forward_delay = self.config.forward_delay;
        self.topology_change_detection(now);
        self.tcn_timer = None;
        self.config_bpdu_generation(now);
        self.hello_timer = Some(now + self.config.hello_time);
    }

    fn is_designated_port(&self, i: usize) -> bool {
        let p = &self.ports[i];
        p.designated_bridge == self.id && p.designated_port == p.id
    }

    /// 8.6.2.2: better root, or cost, or designated bridge, or the same bridge's better or
    /// equal port (a fresh copy of the stored information).
    fn supersedes_port_info(&self, i: usize, c: &ConfigBpdu) -> bool {
        let p = &self.ports[i];
        (c.root, c.root_path_cost, c.bridge)
            < (p.designated_root, p.designated_cost, p.designated_bridge)
            || ((c.root, c.root_path_cost, c.bridge)
                == (p.designated_root, p.designated_cost, p.designated_bridge)
                && (c.bridge != self.id || c.port <= p.designated_port))
    }

    fn become_designated_port(&mut self, i: usize) {
        let (root, cost, id) = (self.designated_root, self.root_path_cost, self.id);
        let p = &mut self.ports[i];
        p.designated_root = root;
        p.designated_cost = cost;
        p.designated_bridge = id;
        p.designated_port = p.id;
    }

    fn configuration_update(&mut self) {
        self.root_selection();
        self.designated_port_selection();
    }

    /// 8.6.8: the root port is the one with the best (root, cost to it, designated bridge,
    /// designated port, own port id) among those that hear a root better than this bridge.
    fn root_selection(&mut self) {
        let mut best: Option<usize> = None;
        for i in 0..self.ports.len() {
            let p = &self.ports[i];
            if p.state == PortState::Disabled
                || self.is_designated_port(i)
                || p.designated_root >= self.id
            {
                continue;
            }
            let key = |p: &Port| {
                (
                    p.designated_root,
                    p.designated_cost.saturating_add(p.path_cost),
                    p.designated_bridge,
                    p.designated_port,
                    p.id,
                )
            };
            if best.is_none_or(|b| key(p) < key(&self.ports[b])) {
                best = Some(i);
            }
        }
        self.root_port = best.map(|i| i as u16);
        match best {
            None => {
                self.designated_root = self.id;
                self.root_path_cost = 0;
            }
            Some(i) => {
                let p = &self.ports[i];
                self.designated_root = p.designated_root;
                self.root_path_cost = p.designated_cost.saturating_add(p.path_cost);
            }
        }
    }

    /// 8.6.9: a port becomes designated if this bridge offers its segment a better path to
    /// the root than the designated bridge it heard.
    fn designated_port_selection(&mut self) {
        for i in 0..self.ports.len() {
            let p = &self.ports[i];
            if p.state == PortState::Disabled {
                continue;
            }
            let should = self.is_designated_port(i)
                || p.designated_root != self.designated_root
                || (self.root_path_cost, self.id, p.id)
                    < (p.designated_cost, p.designated_bridge, p.designated_port);
            if should {
                self.become_designated_port(i);
            }
        }
    }

    /// 8.6.11: root and designated ports head for forwarding, the others block.
    fn port_state_selection(&mut self, now: Instant) {
        for i in 0..self.ports.len() {
            if self.ports[i].state == PortState::Disabled {
                continue;
            }
            let forward = if self.root_port == Some(i as u16) {
                let p = &mut self.ports[i];
                p.config_pending = false;
                p.topology_change_ack = false;
                true
            } else if self.is_designated_port(i) {
                self.ports[i].message_age_timer = None;
                true
            } else {
                let p = &mut self.ports[i];
                p.config_pending = false;
                p.topology_change_ack = false;
                false
            };
            if forward {
                let fd = self.forward_delay;
                let p = &mut self.ports[i];
                if p.state == PortState::Blocking {
                    p.state = PortState::Listening;
                    p.forward_delay_timer = Some(now + fd);
                }
            } else {
                let st = self.ports[i].state;
                if st != PortState::Blocking {
                    if matches!(st, PortState::Learning | PortState::Forwarding) {
                        self.topology_change_detection(now);
                    }
                    let p = &mut self.ports[i];
                    p.state = PortState::Blocking;
                    p.forward_delay_timer = None;
                }
            }
        }
    }

    /// 8.6.14: the root sets the topology change flag for forward delay + max age; another
    /// bridge tells the root with TCN BPDUs on its root port until acknowledged.
    fn topology_change_detection(&mut self, now: Instant) {
        if self.is_root() {
            self.topology_change = true;
            self.topology_change_timer =
                Some(now + self.config.forward_delay + self.config.max_age);
        } else if !self.topology_change_detected {
            self.transmit_tcn(now);
            self.tcn_timer = Some(now + self.config.hello_time);
        }
        self.topology_change_detected = true;
    }

    /// 8.6.4: a configuration BPDU on every designated port.
    fn config_bpdu_generation(&mut self, now: Instant) {
        for i in 0..self.ports.len() {
            if self.ports[i].state != PortState::Disabled && self.is_designated_port(i) {
                self.transmit_config(now, i);
            }
        }
    }

    /// 8.6.1: at most one configuration BPDU per hold time on a port; one asked for meanwhile
    /// is sent when the hold timer ends.
    fn transmit_config(&mut self, now: Instant, i: usize) {
        if self.ports[i].hold_timer.is_some() {
            self.ports[i].config_pending = true;
            return;
        }
        let message_age = match self.root_port {
            None => Duration::ZERO,
            Some(r) => {
                let rp = &self.ports[r as usize];
                (now - rp.info_rx) + rp.info_age + MESSAGE_AGE_INCREMENT
            }
        };
        if message_age >= self.max_age {
            // Information this old would be discarded by the receiver: it is not sent.
            return;
        }
        let p = &self.ports[i];
        let bpdu = Bpdu::Config(ConfigBpdu {
            topology_change: self.topology_change,
            topology_change_ack: p.topology_change_ack,
            root: self.designated_root,
            root_path_cost: self.root_path_cost,
            bridge: self.id,
            port: p.id,
            message_age,
            max_age: self.max_age,
            hello_time: self.hello_time,
            forward_delay: self.forward_delay,
        });
        self.out.push(StpOutput::Send {
            port: i as u16,
            bpdu,
        });
        let p = &mut self.ports[i];
        p.topology_change_ack = false;
        p.config_pending = false;
        p.hold_timer = Some(now + HOLD_TIME);
    }

    fn transmit_tcn(&mut self, _now: Instant) {
        if let Some(r) = self.root_port {
            self.out.push(StpOutput::Send {
                port: r,
                bpdu: Bpdu::Tcn,
            });
        }
    }
}

#[cfg(test)]
mod tests;
