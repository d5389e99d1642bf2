//! The kernel's side of a TAP as a node of the world (`NodeKind::Tap`): sans-IO, like every
//! node. Frames that arrive at it wait in its outbox for the driver (`crate::tap::realtime`),
//! which also puts the kernel's frames on its cable; the I/O is all there, above the world.

use crate::ethernet::{self, Frame};

crate::counters! {
    /// What crossed a TAP.
    pub struct TapCounters {
        /// Frames the simulation handed to the kernel.
        to_kernel,
        /// Frames the kernel sent into the simulation.
        from_kernel,
        /// Frames damaged on the simulated cable: the FCS check a NIC does drops them before
        /// the kernel would see them.
        bad_fcs,
    }
}

/// The kernel's side of a TAP, as a node of the world.
#[derive(Debug, Default)]
pub struct TapPort {
    /// The kernel's interface name.
    pub ifname: String,
    /// Frames (FCS included) that arrived for the kernel and wait for the driver.
    pub outbox: Vec<Frame>,
    pub counters: TapCounters,
}

impl TapPort {
    pub fn new(ifname: &str) -> TapPort {
        TapPort {
            ifname: ifname.to_string(),
            ..TapPort::default()
        }
    }

    /// A frame arrived from the simulated cable: keep it for the kernel if its FCS is right.
    pub fn on_frame(&mut self, frame: Frame) {
        if ethernet::check_fcs(&frame).is_ok() {
            self.counters.to_kernel += 1;
            self.outbox.push(frame);
        } else {
            self.counters.bad_fcs += 1;
        }
    }
}
