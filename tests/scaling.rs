//! Scenario loading at sizes where it used to be quadratic (issue #12): 5,000 hosts on one
//! switch with 5,000 timeline lines took 11.5 s to load in a release build (a name lookup
//! scanned every node, every generated app name searched from `ping1`, every automatic switch
//! port searched from port 1); 20,000 took 222 s. Now loading is O(n log n): this test loads
//! 5,000 in about a second of a debug build. Speed itself is measured by benchmarks, not here:
//! the test checks that the names and ports come out as before.

use netlab::bench::switch_ping_scenario;
use netlab::scenario::Scenario;
use netlab::sim::NodeKind;

#[test]
fn five_thousand_hosts_and_lines_load_with_their_names_and_ports() {
    let n = 5000;
    let scn = Scenario::parse("switch5000.toml", &switch_ping_scenario(n))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scn.actions.len(), n);
    let world = scn.instantiate(Some(1), netlab::trace::Trace::off());
    let sw = world.node_id("sw1").unwrap();
    let NodeKind::Switch(s) = &world.node(sw).kind else {
        panic!("sw1 is a switch")
    };
    assert_eq!(s.ports, n as u16);
    // Automatic ports are given in link order, one each.
    for (i, l) in scn.links.iter().enumerate() {
        assert_eq!(l.ends[1], (sw.0 as usize, i as u16), "link {i}");
    }
    assert_eq!(
        world.node_id("h4999"),
        Some(netlab::sim::NodeId(n as u32 - 1))
    );
}
