//! Shared media in a scenario (IEEE 802.3 clause 4, CSMA/CD; `crate::phy::csma`): a hub with
//! `half_duplex = true`, and a `[[link]]` with `medium = "shared"`. What the file may ask for,
//! refused with a located error where netlab does not model it, and the world's media made
//! once the links exist.

use super::error::{ScenarioError, Src};
use super::model::{self, Sp};
use super::network::{LinkSpec, NodeSpec, NodeSpecKind};
use super::spec::Scenario;
use crate::sim::{LinkId, NodeId, World};
use std::collections::BTreeMap;

/// A link's `medium`: false for `"full-duplex"` (the default, each direction its own line),
/// true for `"shared"` (one half-duplex cable, its two ends one collision domain).
pub(super) fn link_medium(src: &Src, v: Option<&Sp<String>>) -> Result<bool, ScenarioError> {
    match v.map(|v| (v, v.get_ref().as_str())) {
        None | Some((_, "full-duplex")) => Ok(false),
        Some((_, "shared")) => Ok(true),
        Some((v, other)) => Err(src.error(
            v.span(),
            format!(
                "`{other}` is not a medium: use \"full-duplex\" (the default: each direction \
                 its own line) or \"shared\" (one half-duplex cable, CSMA/CD)"
            ),
        )),
    }
}

/// Makes the world's shared media, each with its own backoff stream: half-duplex hubs (their
/// cables one collision domain), then shared links.
pub(super) fn make_shared(world: &mut World, scn: &Scenario, seed: u64) {
    for (i, n) in scn.nodes.iter().enumerate() {
        if let NodeSpecKind::Hub {
            half_duplex: true, ..
        } = n.kind
        {
            world.make_shared(NodeId(i as u32), crate::rng::stream(seed, "csma", i as u64));
        }
    }
    for (i, l) in scn.links.iter().enumerate() {
        if l.shared {
            world.make_shared_link(
                LinkId(i as u32),
                crate::rng::stream(seed, "csma-link", i as u64),
            );
        }
    }
}

/// A half-duplex hub's cables are one medium: one bit rate, and stations at their far ends (a
/// second half-duplex hub would make one collision domain of two repeaters, which netlab does
/// not model: one hub with more ports is the same network). A shared link is a collision
/// domain of its own between two stations, so not a hub's cable: a half-duplex hub's cables
/// are already its medium, and a full-duplex hub with one half-duplex port would be a
/// repeater that does not carry collisions from one port to the others (a repeater's ports
/// are one medium, 802.3 clause 9). A switch or host port on one is a half-duplex station.
pub(super) fn check(
    src: &Src,
    file: &model::File,
    nodes: &[NodeSpec],
    links: &[LinkSpec],
) -> Result<(), ScenarioError> {
    let shared = |n: usize| {
        matches!(
            nodes[n].kind,
            NodeSpecKind::Hub {
                half_duplex: true,
                ..
            }
        )
    };
    let mut rate: BTreeMap<usize, (crate::phy::Bandwidth, &str)> = BTreeMap::new();
    for (i, l) in links.iter().enumerate() {
        // A TAP's cable is not among the file's [[link]]s; it is checked as any other.
        let span = file
            .link
            .get(i)
            .map(|f| {
                let f = f.get_ref();
                f.bandwidth.as_ref().map_or(f.between.span(), |b| b.span())
            })
            .unwrap_or(0..0);
        let [a, b] = l.ends.map(|e| e.0);
        let hub = [a, b]
            .into_iter()
            .find(|&n| matches!(nodes[n].kind, NodeSpecKind::Hub { .. }));
        if let (true, Some(hub)) = (l.shared, hub) {
            let at = file
                .link
                .get(i)
                .and_then(|f| f.get_ref().medium.as_ref().map(|m| m.span()))
                .unwrap_or(span);
            let why = if shared(hub) {
                "a half-duplex hub, whose cables are already one shared medium: leave `medium` \
                 out"
            } else {
                "a hub, a repeater: its cables are all full duplex, or all one shared medium \
                 with `half_duplex = true` on the hub; one shared cable to it is not modelled"
            };
            return Err(src.error(
                at,
                format!(
                    "`{}` is `medium = \"shared\"`, but `{}` is {why}",
                    l.name, nodes[hub].name
                ),
            ));
        }
        if shared(a) && shared(b) {
            return Err(src.error(
                span,
                format!(
                    "`{}` and `{}` are both half-duplex hubs: a cable between them would make \
                     one collision domain of two repeaters, which netlab does not model; use \
                     one hub with more ports",
                    nodes[a].name, nodes[b].name
                ),
            ));
        }
        for hub in [a, b].into_iter().filter(|&n| shared(n)) {
            let bw = l.config.bandwidth;
            match rate.get(&hub) {
                Some((first, name)) if *first != bw => {
                    return Err(src.error(
                        span,
                        format!(
                            "the cables of half-duplex hub `{}` are one shared medium with one \
                             bit rate: `{}` is {bw}, but `{name}` is {first}",
                            nodes[hub].name, l.name
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    rate.insert(hub, (bw, l.name.as_str()));
                }
            }
        }
    }
    Ok(())
}
