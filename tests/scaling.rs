//! Scenario loading at sizes where it used to be quadratic (issue #12): 5,000 hosts on one
//! switch with 5,000 timeline lines took 11.5 s to load in a release build (a name lookup
//! scanned every node, every generated app name searched from `ping1`, every automatic switch
//! port searched from port 1); 20,000 took 222 s. Now loading is O(n log n): this test loads
//! 5,000 in about a second of a debug build. Speed itself is measured by benchmarks, not here:
//! the test checks that the names and ports come out as before.

use netlab::scenario::Scenario;
use netlab::sim::NodeKind;

fn switch_with_hosts(n: usize) -> String {
    let mut s = String::from(
        "[scenario]\ndescription = \"hosts on one switch, each pinging its neighbour\"\n\
         [[switch]]\nname = \"sw1\"\n",
    );
    for i in 0..n {
        s += &format!(
            "[[host]]\nname = \"h{i}\"\nip = \"10.{}.{}.{}/8\"\n",
            1 + (i >> 16),
            (i >> 8) & 255,
            i & 255
        );
    }
    for i in 0..n {
        s += &format!("[[link]]\nbetween = [\"h{i}\", \"sw1\"]\n");
    }
    s += "[timeline]\nsteps = '''\n";
    for i in 0..n {
        s += &format!("0s h{i} ping h{} count=1\n", (i + 1) % n);
    }
    s += "'''\n[expect]\nchecks = '''\nat 0s ping5000.transmitted == 0\n'''\n";
    s
}

#[test]
fn five_thousand_hosts_and_lines_load_with_their_names_and_ports() {
    let n = 5000;
    let scn =
        Scenario::parse("switch5000.toml", &switch_with_hosts(n)).unwrap_or_else(|e| panic!("{e}"));
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
