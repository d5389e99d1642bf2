//! A host: network interfaces and the protocol stack above them.
//!
//! A frame arriving on an interface goes up the layers: the NIC checks the FCS and the
//! destination address, then the EtherType picks the protocol. A router is a host with several
//! interfaces and forwarding turned on.

use crate::ethernet::{self, Frame, MacAddr};
use crate::sim::{FrameId, NodeIo};
use crate::time::Instant;
use crate::trace::{NicDrop, TraceEvent};

/// One network interface (a NIC and its port).
#[derive(Clone, Debug)]
pub struct Interface {
    pub name: String,
    pub mac: MacAddr,
    /// Takes every frame, whatever its destination (a capture or a bridge does this).
    pub promiscuous: bool,
    pub up: bool,
}

crate::counters! {
    /// Counters of a host, always kept.
    pub struct HostCounters {
        /// Frames that reached an interface.
        rx_frames,
        /// Frames sent.
        tx_frames,
        /// Frames dropped because their FCS was wrong.
        fcs_errors,
        /// Frames too short to be Ethernet.
        runts,
        /// Unicast frames for another station.
        not_for_me,
        /// Frames that arrived on an interface that is down.
        interface_down,
        /// Frames sent on an interface with no cable plugged in.
        no_carrier,
        /// Frames of an EtherType no layer handles.
        unknown_ethertype,
        /// Raw frames (of no protocol the stack speaks) delivered to the host.
        raw_delivered,
    }
}

/// A host (or a router: forwarding on).
#[derive(Debug)]
pub struct Host {
    pub interfaces: Vec<Interface>,
    pub counters: HostCounters,
    forwarding: bool,
}

impl Host {
    pub fn new(interfaces: Vec<Interface>, forwarding: bool) -> Self {
        Host {
            interfaces,
            counters: HostCounters::default(),
            forwarding,
        }
    }

    pub fn is_router(&self) -> bool {
        self.forwarding
    }

    /// The next time this host's timers need to run.
    pub fn poll_at(&self) -> Option<Instant> {
        None
    }

    /// Runs timers that are due at `io.now`.
    pub fn on_timer(&mut self, _io: &mut NodeIo) {}

    /// Sends a frame out of interface `port`, counting it.
    pub fn transmit(&mut self, io: &mut NodeIo, port: u16, frame: Frame) {
        if io.send(port, frame) {
            self.counters.tx_frames += 1;
        } else {
            self.counters.no_carrier += 1;
        }
    }

    /// A frame's last bit arrived on interface `port`.
    pub fn on_frame(&mut self, io: &mut NodeIo, port: u16, id: FrameId, frame: Frame) {
        self.counters.rx_frames += 1;
        let Some(iface) = self.interfaces.get(port as usize) else {
            return;
        };
        let drop = |io: &mut NodeIo, reason| io.trace(TraceEvent::NicDrop { port, id, reason });
        if !iface.up {
            self.counters.interface_down += 1;
            drop(io, NicDrop::InterfaceDown);
            return;
        }
        // IEEE 802.3 §3.4: a frame whose FCS is wrong is discarded by the MAC layer.
        if let Err(e) = ethernet::check_fcs(&frame) {
            match e {
                ethernet::FrameError::Runt { .. } => self.counters.runts += 1,
                ethernet::FrameError::BadFcs { .. } => self.counters.fcs_errors += 1,
            }
            drop(io, NicDrop::Damaged(e));
            return;
        }
        let Ok((eth, _payload)) = ethernet::parse(&frame) else {
            return;
        };
        if !ethernet::accepts(iface.mac, eth.dst, iface.promiscuous) {
            self.counters.not_for_me += 1;
            drop(io, NicDrop::NotForMe { dst: eth.dst });
            return;
        }
        match eth.ethertype {
            ethernet::ethertype::EXPERIMENTAL => {
                self.counters.raw_delivered += 1;
                if io.tracing() {
                    io.trace(TraceEvent::RawDelivered { port, id, frame });
                }
            }
            other => {
                self.counters.unknown_ethertype += 1;
                drop(io, NicDrop::UnknownEtherType(other));
            }
        }
    }
}
