//! Real Linux on the simulated network: a TAP device as one end of a simulated cable.
//!
//! A `[[tap]]` in a scenario is a node, the *kernel's side*: a one-port [`TapPort`] cabled to a
//! switch port or a host's or router's interface like any other node. The node itself is
//! sans-IO, like every node: frames that arrive at it are kept in its outbox, and frames from the
//! kernel are put on its cable by [`inject`] at the simulated time the driver gives. The I/O
//! edge is elsewhere: [`device`] (the TAP's file descriptor), [`netns`] (a namespace netlab
//! creates for it) and [`realtime`] (the driver that paces simulated time to the wall clock,
//! reads and writes the TAPs between events, and measures the lag). That driver is the one
//! exception to netlab's determinism: what the kernel sends, and when, is the real world's.

pub mod device;
pub mod netns;
pub mod realtime;

use crate::ethernet::{Frame, FCS_LEN, HEADER_LEN, MIN_FRAME_LEN};
use crate::ip::Ipv4Cidr;
use crate::sim::{NodeId, NodeKind, World};
use crate::time::Instant;
use std::net::Ipv4Addr;

// The node itself lives below the world that holds it (`sim::tap_port`), so that `sim` need
// not import this module, which drives the world.
pub use crate::sim::tap_port::{TapCounters, TapPort};

/// How the kernel's side is set up when netlab makes a namespace for it.
#[derive(Clone, Debug, PartialEq)]
pub struct NetnsSpec {
    pub name: String,
    /// The TAP's address in the namespace.
    pub addr: Option<Ipv4Cidr>,
    /// `(destination, gateway)` routes in the namespace; `None` destination: the default route.
    pub routes: Vec<(Option<Ipv4Cidr>, Ipv4Addr)>,
}

/// A `[[tap]]` as the scenario declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct TapSpec {
    pub ifname: String,
    pub netns: Option<NetnsSpec>,
}

/// The bytes the kernel gets: the frame without its FCS (a TAP carries none). The padding of a
/// short frame stays, as on a real wire; the IP length says where the datagram ends.
pub fn for_kernel(frame: &[u8]) -> &[u8] {
    &frame[..frame.len().saturating_sub(FCS_LEN)]
}

/// A frame from the kernel as a netlab frame: padded to the 64-byte minimum and closed with its
/// FCS. `None` for fewer bytes than an Ethernet header.
pub fn from_kernel(bytes: &[u8]) -> Option<Frame> {
    if bytes.len() < HEADER_LEN {
        return None;
    }
    let body = bytes.len().max(MIN_FRAME_LEN - FCS_LEN);
    let mut v = Vec::with_capacity(body + FCS_LEN);
    v.extend_from_slice(bytes);
    v.resize(body, 0);
    let fcs = crc32fast::hash(&v);
    v.extend_from_slice(&fcs.to_le_bytes());
    Some(Frame::from(v))
}

/// The TAP nodes of a world: `(node, interface name)`.
pub fn tap_nodes(world: &World) -> Vec<(NodeId, String)> {
    world
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match &n.kind {
            NodeKind::Tap(t) => Some((NodeId(i as u32), t.ifname.clone())),
            _ => None,
        })
        .collect()
}

/// Puts a frame from the kernel on the TAP's cable at `at` (not before the world's clock: every
/// event up to `at` must have run), as if the kernel's NIC had just sent it.
pub fn inject(world: &mut World, node: NodeId, at: Instant, frame: Frame) {
    world.fabric.queue.advance_to(at);
    if let NodeKind::Tap(t) = &mut world.node_mut(node).kind {
        t.counters.from_kernel += 1;
    }
    world.fabric.send(node, 0, frame);
}

/// Takes the frames waiting for the kernel at a TAP node.
pub fn take_outbox(world: &mut World, node: NodeId) -> Vec<Frame> {
    match &mut world.node_mut(node).kind {
        NodeKind::Tap(t) => std::mem::take(&mut t.outbox),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet;

    #[test]
    fn kernel_frames_gain_padding_and_a_correct_fcs_and_lose_it_again() {
        let arp = [0xffu8; 42];
        let f = from_kernel(&arp).unwrap();
        assert_eq!(f.len(), 64);
        assert!(ethernet::check_fcs(&f).is_ok());
        assert_eq!(for_kernel(&f).len(), 60);
        assert_eq!(&for_kernel(&f)[..42], &arp[..]);
        let big = vec![7u8; 1514];
        assert_eq!(from_kernel(&big).unwrap().len(), 1518);
        assert!(from_kernel(&[0u8; 13]).is_none());
    }

    #[test]
    fn a_damaged_frame_never_reaches_the_kernel() {
        let mut t = TapPort::new("nl0");
        let good = from_kernel(&[1u8; 60]).unwrap();
        let mut bad = good.to_vec();
        bad[20] ^= 4;
        t.on_frame(good);
        t.on_frame(Frame::from(bad));
        assert_eq!(t.outbox.len(), 1);
        assert_eq!((t.counters.to_kernel, t.counters.bad_fcs), (1, 1));
    }
}
