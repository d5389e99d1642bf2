//! [`AppCx`]: the host as one application sees it while it runs. The host implements it
//! (`host::SockCx`); applications name only this trait, so they need not know the host.

use crate::dns::{Lookup, Resolved};
use crate::socket::{SockType, SocketApi, SocketId};
use std::net::{Ipv4Addr, SocketAddrV4};

/// An application's view of its host while it runs: its socket calls ([`SocketApi`]), its
/// resolver and its line of output.
pub trait AppCx: SocketApi {
    /// Whether records are made (someone reads the trace): text only the log shows need not
    /// be built otherwise.
    fn tracing(&self) -> bool;

    /// Writes a line of the application's own output (what its `print` would show).
    fn log_line(&mut self, text: String);

    /// Looks `q` up: `None` when the host has no resolver (the caller reads the hosts table),
    /// `Some(None)` while the answer is awaited (the application is polled again when it
    /// comes), `Some(Some(answer))` once known.
    fn resolve(&mut self, q: &Lookup) -> Option<Option<Resolved>>;

    /// `socket(ty)` owned by this application (making a socket cannot fail in netlab).
    fn new_socket(&mut self, ty: SockType) -> SocketId;

    /// A line of output, its text built only if someone reads it.
    fn log(&mut self, text: impl FnOnce() -> String)
    where
        Self: Sized,
    {
        if self.tracing() {
            self.log_line(text());
        }
    }

    /// The socket a server keeps in `slot`, made and bound to `port` on every address the
    /// first time (and listening, for TCP). `None` when the port is taken; `errors` counts it.
    fn server_socket(
        &mut self,
        slot: &mut Option<SocketId>,
        ty: SockType,
        port: u16,
        errors: &mut u64,
    ) -> Option<SocketId> {
        if let Some(s) = *slot {
            return Some(s);
        }
        let s = self.new_socket(ty);
        if self
            .bind(s, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
            .is_err()
        {
            *errors += 1;
            let _ = self.close(s);
            return None;
        }
        if ty == SockType::Stream {
            let _ = self.listen(s, 128);
        }
        *slot = Some(s);
        Some(s)
    }
}
