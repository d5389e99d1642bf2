//! Each host of a scenario draws its initial sequence numbers and ephemeral ports from its own
//! random stream, as separate machines do.

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::views::text::TextView;

#[test]
fn two_hosts_choose_different_initial_sequence_numbers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/lessons/simplest-server.toml"
    );
    let scn = Scenario::load(path).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let seq_of = |flags: &str| -> String {
        let line = outcome
            .world
            .trace()
            .records()
            .iter()
            .map(|r| view.line(r))
            .find(|l| l.contains(flags))
            .unwrap_or_else(|| panic!("no segment with {flags}"));
        let at = line.find(", seq ").unwrap() + ", seq ".len();
        line[at..].split(',').next().unwrap().to_string()
    };
    let syn = seq_of("Flags [S],");
    let syn_ack = seq_of("Flags [S.],");
    assert_ne!(syn, syn_ack, "client and server picked the same ISN");
}
