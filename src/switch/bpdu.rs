//! Spanning tree BPDUs as bytes (IEEE 802.1D-1998 clause 9): an IEEE 802.3 frame (a length
//! where Ethernet II has its EtherType) carrying LLC `42 42 03` (the bridge spanning tree SAP,
//! unnumbered information) to the bridge group address 01:80:C2:00:00:00.
//!
//! Times travel in units of 1/256 s (9.2.8); identifiers are 8-byte bridge ids (priority, then
//! MAC) and 2-byte port ids (priority, then port number), compared as unsigned numbers.

use crate::ethernet::{self, EthernetRepr, Frame, MacAddr};
use crate::time::Duration;
use std::fmt;

/// The bridge group address every spanning tree BPDU is sent to (802.1D table 7-9); bridges
/// never forward frames to it when they run STP.
pub const GROUP_ADDRESS: MacAddr = MacAddr(0x01, 0x80, 0xc2, 0x00, 0x00, 0x00);

/// LLC header of a BPDU: DSAP and SSAP 0x42 (spanning tree), control 0x03 (UI).
pub const LLC: [u8; 3] = [0x42, 0x42, 0x03];

const CONFIG_LEN: usize = 35;
const TCN_LEN: usize = 4;
const TYPE_CONFIG: u8 = 0x00;
const TYPE_TCN: u8 = 0x80;
const FLAG_TC: u8 = 0x01;
const FLAG_TCA: u8 = 0x80;

/// A bridge identifier: priority (high 16 bits) then MAC address; the lower one wins.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BridgeId(pub u64);

impl BridgeId {
    pub fn new(priority: u16, mac: MacAddr) -> Self {
        let m = mac.octets();
        let mut v = u64::from(priority);
        for b in m {
            v = (v << 8) | u64::from(b);
        }
        BridgeId(v)
    }

    pub fn priority(self) -> u16 {
        (self.0 >> 48) as u16
    }

    pub fn mac(self) -> MacAddr {
        let b = self.0.to_be_bytes();
        MacAddr::new(b[2], b[3], b[4], b[5], b[6], b[7])
    }
}

impl fmt::Display for BridgeId {
    /// `32768/02:4e:4c:b0:00:01`: priority, then address, as Wireshark's info column writes it
    /// (without its extension field, which classic STP does not have).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}/{}", self.priority(), self.mac()))
    }
}

/// A configuration BPDU's fields (802.1D-1998 9.3.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ConfigBpdu {
    pub topology_change: bool,
    pub topology_change_ack: bool,
    pub root: BridgeId,
    pub root_path_cost: u32,
    pub bridge: BridgeId,
    pub port: u16,
    pub message_age: Duration,
    pub max_age: Duration,
    pub hello_time: Duration,
    pub forward_delay: Duration,
}

/// A BPDU: configuration or topology change notification.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bpdu {
    Config(ConfigBpdu),
    Tcn,
}

/// Why bytes are not a BPDU netlab understands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BpduError {
    #[error("not an LLC frame for the spanning tree SAP (42 42 03)")]
    NotStp,
    #[error("BPDU of {len} bytes is too short")]
    Short { len: usize },
    #[error("protocol identifier {0:#06x} is not 0 (spanning tree)")]
    Protocol(u16),
    #[error("unknown BPDU type {0:#04x}")]
    Type(u8),
}

fn to_units(d: Duration) -> u16 {
    // 1/256 s per unit, rounded down; timers above 255 s do not fit and are clamped.
    (u128::from(d.as_nanos()) * 256 / 1_000_000_000).min(u128::from(u16::MAX)) as u16
}

fn from_units(u: u16) -> Duration {
    Duration::from_nanos(u64::from(u) * 1_000_000_000 / 256)
}

impl Bpdu {
    /// The BPDU's bytes (after the LLC header).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Bpdu::Tcn => vec![0, 0, 0, TYPE_TCN],
            Bpdu::Config(c) => {
                let mut b = Vec::with_capacity(CONFIG_LEN);
                b.extend([0, 0, 0, TYPE_CONFIG]);
                let mut flags = 0;
                if c.topology_change {
                    flags |= FLAG_TC;
                }
                if c.topology_change_ack {
                    flags |= FLAG_TCA;
                }
                b.push(flags);
                b.extend(c.root.0.to_be_bytes());
                b.extend(c.root_path_cost.to_be_bytes());
                b.extend(c.bridge.0.to_be_bytes());
                b.extend(c.port.to_be_bytes());
                for t in [c.message_age, c.max_age, c.hello_time, c.forward_delay] {
                    b.extend(to_units(t).to_be_bytes());
                }
                b
            }
        }
    }

    /// Reads the bytes after the LLC header.
    pub fn parse(b: &[u8]) -> Result<Bpdu, BpduError> {
        if b.len() < TCN_LEN {
            return Err(BpduError::Short { len: b.len() });
        }
        let proto = u16::from_be_bytes([b[0], b[1]]);
        if proto != 0 {
            return Err(BpduError::Protocol(proto));
        }
        match b[3] {
            TYPE_TCN => Ok(Bpdu::Tcn),
            TYPE_CONFIG => {
                if b.len() < CONFIG_LEN {
                    return Err(BpduError::Short { len: b.len() });
                }
                let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap());
                let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
                Ok(Bpdu::Config(ConfigBpdu {
                    topology_change: b[4] & FLAG_TC != 0,
                    topology_change_ack: b[4] & FLAG_TCA != 0,
                    root: BridgeId(u64_at(5)),
                    root_path_cost: u32::from_be_bytes(b[13..17].try_into().unwrap()),
                    bridge: BridgeId(u64_at(17)),
                    port: u16_at(25),
                    message_age: from_units(u16_at(27)),
                    max_age: from_units(u16_at(29)),
                    hello_time: from_units(u16_at(31)),
                    forward_delay: from_units(u16_at(33)),
                }))
            }
            t => Err(BpduError::Type(t)),
        }
    }
}

/// The LLC payload of an IEEE 802.3 frame (`ethertype` at most 1500 is then a length), if the
/// frame is one; the bytes after the Ethernet header up to that length.
fn llc_payload(frame: &[u8]) -> Option<&[u8]> {
    let (eth, payload) = ethernet::parse(frame).ok()?;
    let len = usize::from(eth.ethertype);
    (len <= usize::from(ethernet::MAX_LENGTH_FIELD)).then(|| &payload[..len.min(payload.len())])
}

/// The BPDU a frame carries, if it is an STP frame.
pub fn of_frame(frame: &[u8]) -> Option<Result<Bpdu, BpduError>> {
    of_llc(llc_payload(frame)?)
}

/// The BPDU in an 802.3 frame's LLC data, when its LLC header names the spanning tree's SAP.
pub fn of_llc(llc: &[u8]) -> Option<Result<Bpdu, BpduError>> {
    (llc.len() >= 3 && llc[..3] == LLC).then(|| Bpdu::parse(&llc[3..]))
}

/// The frame a bridge sends a BPDU in from its address `src`: 802.3 length, LLC, BPDU,
/// padding to 64 bytes, FCS.
pub fn frame(src: MacAddr, bpdu: &Bpdu) -> Frame {
    let body = bpdu.to_bytes();
    let len = LLC.len() + body.len();
    let repr = EthernetRepr {
        dst: GROUP_ADDRESS,
        src,
        ethertype: len as u16,
    };
    ethernet::build_frame(&repr, len, |buf| {
        buf[..3].copy_from_slice(&LLC);
        buf[3..].copy_from_slice(&body);
    })
}

fn secs(d: Duration) -> String {
    let ms = d.as_nanos() / 1_000_000;
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}.{:03}s", ms / 1000, ms % 1000)
    }
}

impl fmt::Display for Bpdu {
    /// Wireshark's info column: `Conf. Root = 32768/02:4e:4c:b0:00:01  Cost = 19  Port =
    /// 0x8002`, `Topology Change Notification`; flags and timers after it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bpdu::Tcn => write!(f, "STP Topology Change Notification"),
            Bpdu::Config(c) => {
                write!(
                    f,
                    "STP Conf. Root = {}  Cost = {}  Port = {:#06x}",
                    c.root, c.root_path_cost, c.port
                )?;
                if c.topology_change {
                    write!(f, ", TC")?;
                }
                if c.topology_change_ack {
                    write!(f, ", TC ack")?;
                }
                write!(f, ", bridge {}, age {}", c.bridge, secs(c.message_age))
            }
        }
    }
}

/// Each field of a BPDU (the bytes after LLC) as `(name, value, byte range in the BPDU)`,
/// for `trace::dissect`.
pub fn fields(b: &[u8]) -> Vec<(&'static str, String, (usize, usize))> {
    let mut v = Vec::new();
    if b.len() < TCN_LEN {
        v.push(("Truncated", format!("{} bytes", b.len()), (0, b.len())));
        return v;
    }
    let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    v.push((
        "Protocol Identifier",
        format!("{:#06x} (Spanning Tree Protocol)", u16_at(0)),
        (0, 2),
    ));
    v.push((
        "Protocol Version",
        format!("{} (Spanning Tree)", b[2]),
        (2, 3),
    ));
    let kind = match b[3] {
        TYPE_CONFIG => "Configuration",
        TYPE_TCN => "Topology Change Notification",
        _ => "unknown",
    };
    v.push(("BPDU Type", format!("{:#04x} ({kind})", b[3]), (3, 4)));
    if b[3] != TYPE_CONFIG {
        return v;
    }
    if b.len() < CONFIG_LEN {
        v.push(("Truncated", format!("{} bytes", b.len()), (4, b.len())));
        return v;
    }
    let Ok(Bpdu::Config(c)) = Bpdu::parse(b) else {
        return v;
    };
    v.push((
        "Flags",
        format!(
            "{:#04x} (topology change {}, acknowledgment {})",
            b[4],
            if c.topology_change { "yes" } else { "no" },
            if c.topology_change_ack { "yes" } else { "no" }
        ),
        (4, 5),
    ));
    v.push(("Root Identifier", c.root.to_string(), (5, 13)));
    v.push(("Root Path Cost", c.root_path_cost.to_string(), (13, 17)));
    v.push(("Bridge Identifier", c.bridge.to_string(), (17, 25)));
    v.push(("Port Identifier", format!("{:#06x}", c.port), (25, 27)));
    for (i, (name, t)) in [
        ("Message Age", c.message_age),
        ("Max Age", c.max_age),
        ("Hello Time", c.hello_time),
        ("Forward Delay", c.forward_delay),
    ]
    .into_iter()
    .enumerate()
    {
        let at = 27 + 2 * i;
        v.push((
            name,
            format!("{} ({} units of 1/256 s)", secs(t), u16_at(at)),
            (at, at + 2),
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfigBpdu {
        ConfigBpdu {
            topology_change: true,
            topology_change_ack: false,
            root: BridgeId::new(4096, ethernet::default_mac(1)),
            root_path_cost: 19,
            bridge: BridgeId::new(32768, ethernet::default_mac(2)),
            port: 0x8002,
            message_age: Duration::from_secs(1),
            max_age: Duration::from_secs(20),
            hello_time: Duration::from_secs(2),
            forward_delay: Duration::from_secs(15),
        }
    }

    #[test]
    fn config_bpdu_bytes_match_the_standard_layout() {
        let b = Bpdu::Config(config()).to_bytes();
        assert_eq!(b.len(), 35);
        assert_eq!(&b[..5], &[0, 0, 0, 0, 0x01]);
        assert_eq!(&b[5..13], &[0x10, 0x00, 0x02, 0x4e, 0x4c, 0, 0, 1]);
        assert_eq!(&b[13..17], &[0, 0, 0, 19]);
        assert_eq!(&b[25..27], &[0x80, 0x02]);
        // 1 s, 20 s, 2 s, 15 s in 1/256 s.
        assert_eq!(&b[27..35], &[1, 0, 20, 0, 2, 0, 15, 0]);
        assert_eq!(Bpdu::parse(&b), Ok(Bpdu::Config(config())));
    }

    #[test]
    fn frames_are_802_3_with_llc_to_the_group_address() {
        let f = frame(ethernet::default_mac(9), &Bpdu::Config(config()));
        assert_eq!(f.len(), 64);
        assert_eq!(&f[..6], &[0x01, 0x80, 0xc2, 0, 0, 0]);
        assert_eq!(&f[12..14], &[0, 38], "length: LLC 3 + BPDU 35");
        assert_eq!(&f[14..17], &LLC);
        ethernet::check_fcs(&f).unwrap();
        assert_eq!(of_frame(&f), Some(Ok(Bpdu::Config(config()))));
        let t = frame(ethernet::default_mac(9), &Bpdu::Tcn);
        assert_eq!(&t[12..14], &[0, 7]);
        assert_eq!(of_frame(&t), Some(Ok(Bpdu::Tcn)));
    }

    #[test]
    fn other_frames_are_not_bpdus() {
        let f = ethernet::frame_with_payload(
            &EthernetRepr {
                dst: GROUP_ADDRESS,
                src: ethernet::default_mac(1),
                ethertype: ethernet::ethertype::IPV4,
            },
            &[0x42, 0x42, 0x03, 0, 0, 0, 0x80],
        );
        assert_eq!(of_frame(&f), None);
        assert_eq!(Bpdu::parse(&[0, 1, 0, 0]), Err(BpduError::Protocol(1)));
        assert_eq!(
            Bpdu::parse(&[0, 0, 0, 0, 1]),
            Err(BpduError::Short { len: 5 })
        );
        assert_eq!(Bpdu::parse(&[0, 0, 0, 2]), Err(BpduError::Type(2)));
    }

    #[test]
    fn bridge_ids_order_by_priority_then_address() {
        let a = BridgeId::new(32768, ethernet::default_mac(5));
        let b = BridgeId::new(4096, ethernet::default_mac(9));
        assert!(b < a);
        assert_eq!(a.priority(), 32768);
        assert_eq!(a.mac(), ethernet::default_mac(5));
        assert_eq!(b.to_string(), "4096/02:4e:4c:00:00:09");
    }
}
