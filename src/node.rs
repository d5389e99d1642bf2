//! A node's I/O while it handles one event: the time, its id, and the [`Outlet`] its frames and
//! records go to. Below the host (which acts through it) and the world (which implements
//! [`Outlet`] with its fabric), so neither needs the other's module.

use crate::ethernet::Frame;
use crate::ids::NodeId;
use crate::time::Instant;
use crate::trace::TraceEvent;

/// Where a node's outputs go: the cables plugged into its ports, and the trace.
pub trait Outlet {
    /// Puts `frame` on the link plugged into `port` of `node`; false when no cable is plugged
    /// in there (the caller decides whether that is worth a record).
    fn send(&mut self, node: NodeId, port: u16, frame: Frame) -> bool;
    /// Whether records are made (someone reads the trace). Fixed for a run.
    fn tracing(&self) -> bool;
    /// Adds a record made by `node` at `time`.
    fn record(&mut self, time: Instant, node: NodeId, event: TraceEvent);
}

/// The I/O of one node for the current event.
pub struct NodeIo<'a> {
    pub now: Instant,
    pub node: NodeId,
    /// Read once from the outlet: producers ask before building every record, so the answer is
    /// a field, not a call through the trait object.
    tracing: bool,
    outlet: &'a mut dyn Outlet,
}

impl<'a> NodeIo<'a> {
    pub fn new<O: Outlet>(now: Instant, node: NodeId, outlet: &'a mut O) -> Self {
        NodeIo {
            now,
            node,
            tracing: outlet.tracing(),
            outlet,
        }
    }

    /// Sends a frame out of `port`; returns false if nothing is plugged in there.
    pub fn send(&mut self, port: u16, frame: Frame) -> bool {
        self.outlet.send(self.node, port, frame)
    }

    #[inline(always)]
    pub fn tracing(&self) -> bool {
        self.tracing
    }

    #[inline]
    pub fn trace(&mut self, event: TraceEvent) {
        // The trace would drop it too; asking here spares the call.
        if self.tracing {
            self.outlet.record(self.now, self.node, event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outlet that remembers what reached it.
    #[derive(Default)]
    struct Recorder {
        on: bool,
        sent: Vec<(NodeId, u16, usize)>,
        records: Vec<(Instant, NodeId)>,
    }

    impl Outlet for Recorder {
        fn send(&mut self, node: NodeId, port: u16, frame: Frame) -> bool {
            self.sent.push((node, port, frame.len()));
            port == 0
        }
        fn tracing(&self) -> bool {
            self.on
        }
        fn record(&mut self, time: Instant, node: NodeId, _: TraceEvent) {
            self.records.push((time, node));
        }
    }

    fn event() -> TraceEvent {
        TraceEvent::AppLog {
            app: 0,
            text: "hi".into(),
        }
    }

    #[test]
    fn frames_and_records_carry_the_node_and_time() {
        let mut outlet = Recorder {
            on: true,
            ..Recorder::default()
        };
        let now = Instant::ZERO;
        let mut io = NodeIo::new(now, NodeId(3), &mut outlet);
        assert!(io.tracing());
        assert!(io.send(0, Frame::from(vec![0u8; 60])));
        assert!(!io.send(1, Frame::from(vec![0u8; 64])));
        io.trace(event());
        assert_eq!(outlet.sent, vec![(NodeId(3), 0, 60), (NodeId(3), 1, 64)]);
        assert_eq!(outlet.records, vec![(now, NodeId(3))]);
    }

    #[test]
    fn no_record_reaches_an_outlet_that_is_not_tracing() {
        let mut outlet = Recorder::default();
        let mut io = NodeIo::new(Instant::ZERO, NodeId(0), &mut outlet);
        assert!(!io.tracing());
        io.trace(event());
        assert!(outlet.records.is_empty());
    }
}
