//! DHCP and DNS end to end (issue #17): what the lessons do not show, the failure paths.
//! A lease running out when its server is gone, a resolver whose server never answers.

use netlab::dhcp::{ClientState, DhcpEvent};
use netlab::scenario::{self, RunOptions, Scenario};
use netlab::trace::TraceEvent;

const LAN: &str = r#"[scenario]
stop = "40s"

[[host]]
name = "pc"
ip = "dhcp"
[[host]]
name = "srv"
ip = "10.0.0.5/24"
dhcp_pools = [ { range = "10.0.0.100-10.0.0.110/24", lease = "20s", dns = "10.0.0.99" } ]
[[switch]]
name = "sw1"
[[link]]
between = ["pc", "sw1"]
[[link]]
name = "server-cable"
between = ["srv", "sw1"]

[timeline]
steps = '''
1s link server-cable down
1s pc/names web = gethostbyname("www.lab")
'''

[expect]
checks = '''
at 900ms pc routes has 10.0.0.0/24
at 19s pc routes has 10.0.0.0/24
at 21s pc routes lacks 10.0.0.0/24
end pc/names web == OSError
'''
"#;

fn dhcp_states(o: &scenario::Outcome) -> Vec<(f64, ClientState)> {
    o.world
        .trace()
        .records()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Dhcp {
                event: DhcpEvent::ClientState { to, .. },
                ..
            } => Some((r.time.as_secs_f64(), *to)),
            _ => None,
        })
        .collect()
}

/// The server unplugged after the lease: RENEWING at T1 (10 s), REBINDING at T2 (17 s), the
/// address gone at expiry (20 s), then the client starts over (DISCOVERs nobody answers).
/// Meanwhile the DNS server the lease named never answers: the lookup fails after glibc's two
/// tries, 5 s apart.
#[test]
fn a_lease_expires_when_its_server_is_gone_and_an_unanswered_lookup_fails() {
    let scn = Scenario::parse("lan.toml", LAN).unwrap();
    let o = scenario::run(&scn, &RunOptions::default());
    for r in &o.results {
        assert!(r.passed, "{r:?}");
    }
    let states = dhcp_states(&o);
    let at = |s: ClientState| states.iter().find(|(_, x)| *x == s).map(|(t, _)| *t);
    let bound = at(ClientState::Bound).unwrap();
    assert!(bound < 0.2, "{states:?}");
    let renewing = at(ClientState::Renewing).unwrap();
    let rebinding = at(ClientState::Rebinding).unwrap();
    assert!((renewing - bound - 10.0).abs() < 1e-6, "{states:?}");
    // T2 is 7/8 of the lease in whole seconds, as the server writes option 59: 17 s.
    assert!((rebinding - bound - 17.0).abs() < 1e-6, "{states:?}");
    let expired: Vec<f64> = o
        .world
        .trace()
        .records()
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                TraceEvent::Dhcp {
                    event: DhcpEvent::Expired { .. },
                    ..
                }
            )
        })
        .map(|r| r.time.as_secs_f64())
        .collect();
    assert_eq!(expired.len(), 1);
    assert!((expired[0] - bound - 20.0).abs() < 1e-6);
    // The lookup at 1 s: two queries 5 s apart, the failure at 11 s.
    let failed = o
        .world
        .trace()
        .records()
        .iter()
        .find(|r| {
            matches!(&r.event, TraceEvent::AppLog { text, .. } if text.contains("gethostbyname") && text.contains("raised"))
        })
        .expect("the lookup failed");
    assert!((failed.time.as_secs_f64() - 11.0).abs() < 1e-6);
}

/// Without `dns` or a lease naming one, names come from the hosts table and nothing is sent.
#[test]
fn without_a_resolver_names_come_from_the_hosts_table() {
    let text = LAN
        .replace(", dns = \"10.0.0.99\"", "")
        .replace("gethostbyname(\"www.lab\")", "gethostbyname(\"srv\")")
        .replace(
            "end pc/names web == OSError",
            "end pc/names web == \"10.0.0.5\"\nend seen \"udp port=53\" == 0",
        );
    let scn = Scenario::parse("lan.toml", &text).unwrap();
    let o = scenario::run(&scn, &RunOptions::default());
    for r in &o.results {
        assert!(r.passed, "{r:?}");
    }
    assert_eq!(o.results.len(), 5);
}
