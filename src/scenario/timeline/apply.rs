//! Carrying a timeline action out on the world.

use super::{Action, ActionKind};
use crate::apps::script::Script;
use crate::apps::sock::SocketApp;
use crate::apps::{App, AppKind, Ping, Traceroute};
use crate::ethernet::{self, EthernetRepr};
use crate::sim::{Fault, LinkId, NodeId, World};

impl Action {
    /// Carries the action out on `world`, now.
    pub fn apply(&self, world: &mut World) {
        match &self.kind {
            ActionKind::SendFrame {
                node,
                port,
                dst,
                ethertype,
                payload,
            } => {
                let node = NodeId(*node as u32);
                world.with_host(node, |host, io| {
                    let Some(src) = host.interfaces().get(*port as usize).map(|i| i.mac) else {
                        return;
                    };
                    let frame = ethernet::frame_with_payload(
                        &EthernetRepr {
                            dst: *dst,
                            src,
                            ethertype: *ethertype,
                        },
                        payload,
                    );
                    host.transmit(io, *port, frame);
                });
            }
            ActionKind::LinkUp { link, up } => world.set_link_up(LinkId(*link as u32), *up),
            ActionKind::LinkLoss { link, loss } => world.set_link_loss(LinkId(*link as u32), *loss),
            ActionKind::Ping { node, name, config } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    let ping = Ping::new(config.clone(), host.app_ident(), io.now);
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Ping(Box::new(ping)),
                        },
                    );
                });
            }
            ActionKind::Traceroute { node, name, config } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    // Like Linux traceroute, probes come from a port of its own.
                    let port = 40000 + host.app_ident();
                    let t = Traceroute::new(config.clone(), port, io.now);
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Traceroute(Box::new(t)),
                        },
                    );
                });
            }
            ActionKind::RouteAdd { node, route } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    if let Err(e) = host.add_route(*route) {
                        io.trace(crate::trace::TraceEvent::ActionFailed {
                            reason: e.to_string(),
                        });
                    }
                });
            }
            ActionKind::RouteDel { node, dest } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    if let Err(e) = host.delete_route(*dest) {
                        io.trace(crate::trace::TraceEvent::ActionFailed {
                            reason: e.to_string(),
                        });
                    }
                });
            }
            ActionKind::StartScript { node, name, lines } => {
                let hostname = world.node(NodeId(*node as u32)).name.clone();
                let script = Script::new(lines.clone(), hostname);
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(Box::new(SocketApp::Script(script))),
                        },
                    );
                });
            }
            ActionKind::StartPython { node, name, config } => {
                let id = NodeId(*node as u32);
                let hostname = world.node(id).name.clone();
                // Each program its own `random` seed, from the scenario's seed and its name.
                let seed = {
                    use rand::RngExt;
                    let mut h: u64 = 0;
                    for b in name.bytes() {
                        h = h.wrapping_mul(131).wrapping_add(b as u64);
                    }
                    crate::rng::stream(world.seed, "python", h).random::<u32>() as u64
                };
                let program =
                    crate::apps::python::PythonProgram::new(config.clone(), hostname, seed);
                world.with_host(id, |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(Box::new(SocketApp::Python(Box::new(program)))),
                        },
                    );
                });
            }
            ActionKind::StartApp { node, name, app } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(app.clone()),
                        },
                    );
                });
            }
            ActionKind::ArpFlush { node } => {
                world.with_host(NodeId(*node as u32), |host, _| {
                    host.flush_neighbours();
                });
            }
            ActionKind::InterfaceUp { node, iface, up } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.set_interface_up(io, *iface, *up)
                });
            }
            ActionKind::Fault {
                link,
                from_side,
                filter,
                nth,
                count,
                action,
            } => {
                world
                    .link_mut(LinkId(*link as u32))
                    .impairments
                    .add_fault(Fault::new(
                        *from_side,
                        filter.clone(),
                        *nth,
                        *count,
                        action.clone(),
                    ));
            }
        }
    }
}
