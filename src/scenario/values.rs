//! Values with units and the other small values a scenario's tables hold: durations,
//! bandwidths, bounded counts, link settings, unicast MAC addresses.

use super::error::{ScenarioError, Src};
use super::model::{self, Sp};
use crate::ethernet::MacAddr;
use crate::phy::{Bandwidth, LinkConfig};
use crate::time::Duration;
use std::str::FromStr;

fn value_text(src: &Src, v: &Sp<toml::Value>, example: &str) -> Result<String, ScenarioError> {
    match v.get_ref() {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Err(src.error(
            v.span(),
            format!(
                "`{n}` has no unit: write it as a string with a unit, such as \"{n}{example}\""
            ),
        )),
        toml::Value::Float(n) => Err(src.error(
            v.span(),
            format!(
                "`{n}` has no unit: write it as a string with a unit, such as \"{n}{example}\""
            ),
        )),
        other => Err(src.error(
            v.span(),
            format!(
                "expected a string with a unit, such as \"10{example}\", found a {}",
                other.type_str()
            ),
        )),
    }
}

pub(crate) fn duration(src: &Src, v: &Sp<toml::Value>) -> Result<Duration, ScenarioError> {
    let text = value_text(src, v, "ms")?;
    Duration::from_str(&text).map_err(|e| src.error(v.span(), e.to_string()))
}

fn bandwidth(src: &Src, v: &Sp<toml::Value>) -> Result<Bandwidth, ScenarioError> {
    let text = value_text(src, v, "Mbps")?;
    Bandwidth::from_str(&text).map_err(|e| src.error(v.span(), e.to_string()))
}

pub(super) fn positive(
    src: &Src,
    v: &Sp<i64>,
    what: &str,
    min: i64,
    max: i64,
) -> Result<u64, ScenarioError> {
    let n = *v.get_ref();
    if n < min || n > max {
        return Err(src.error(
            v.span(),
            format!("{what} must be between {min} and {max}, found {n}"),
        ));
    }
    Ok(n as u64)
}

pub(super) fn link_config(
    src: &Src,
    base: &LinkConfig,
    s: &model::LinkSettings,
) -> Result<LinkConfig, ScenarioError> {
    let mut c = base.clone();
    if let Some(v) = &s.bandwidth {
        c.bandwidth = bandwidth(src, v)?;
    }
    if let Some(v) = &s.delay {
        c.delay = duration(src, v)?;
    }
    if let Some(v) = &s.queue {
        c.queue_frames = positive(src, v, "queue (frames that may wait)", 0, 1_000_000)? as usize;
    }
    if let Some(v) = &s.ber {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(src.error(
                v.span(),
                format!("ber is a probability per bit, between 0 and 1 (such as 1e-6), found {p}"),
            ));
        }
        c.bit_error_rate = p;
    }
    if let Some(v) = &s.loss {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(src.error(
                v.span(),
                format!("loss is a probability per frame, between 0 and 1 (such as 0.01 for 1 %), found {p}"),
            ));
        }
        c.loss = p;
    }
    if let Some(v) = &s.mtu {
        c.mtu = positive(src, v, "mtu", 68, 9000)? as usize;
    }
    Ok(c)
}

/// A `mac = "…"` setting: a unicast MAC address, or a located error naming `who` needs one.
pub(super) fn unicast_mac(src: &Src, m: &Sp<String>, who: &str) -> Result<MacAddr, ScenarioError> {
    let mac = MacAddr::from_str(m.get_ref()).map_err(|_| {
        src.error(
            m.span(),
            format!(
                "`{}` is not a MAC address such as 02:00:00:00:00:01",
                m.get_ref()
            ),
        )
    })?;
    if !mac.is_unicast() {
        return Err(src.error(
            m.span(),
            format!("{mac} is a group address; {who} needs a unicast address"),
        ));
    }
    Ok(mac)
}

#[cfg(test)]
mod tests {
    //! Each reader's mistakes, located at the value that is wrong (file:line:column).
    use crate::scenario::Scenario;

    const BASE: &str = r#"[scenario]
description = "values"

[[host]]
name = "alice"
[[host]]
name = "bob"
[[link]]
between = ["alice", "bob"]
bandwidth = "100Mbps"
"#;

    fn error_with(from: &str, to: &str) -> String {
        assert!(BASE.contains(from));
        match Scenario::parse("bad.toml", &BASE.replacen(from, to, 1)) {
            Ok(_) => panic!("`{to}` was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_base_is_valid() {
        Scenario::parse("base.toml", BASE).unwrap();
    }

    #[test]
    fn a_duration_with_an_unknown_unit() {
        assert_eq!(
            error_with("bandwidth = \"100Mbps\"", "delay = \"5 fortnights\""),
            "bad.toml:10:9: unknown time unit `fortnights` in `5 fortnights`: expected one of ns, us, ms, s, min"
        );
    }

    #[test]
    fn a_bandwidth_that_is_not_a_rate() {
        assert_eq!(
            error_with("\"100Mbps\"", "\"fast\""),
            "bad.toml:10:13: expected a rate such as `100Mbps` or `1Gbps`, found `fast`"
        );
    }

    #[test]
    fn an_mtu_out_of_range() {
        assert_eq!(
            error_with("bandwidth = \"100Mbps\"", "mtu = 20"),
            "bad.toml:10:7: mtu must be between 68 and 9000, found 20"
        );
    }

    #[test]
    fn a_group_address_for_a_nic() {
        assert_eq!(
            error_with(
                "name = \"bob\"",
                "name = \"bob\"\nmac = \"ff:ff:ff:ff:ff:ff\""
            ),
            "bad.toml:8:7: ff:ff:ff:ff:ff:ff is a group address; a NIC needs a unicast address"
        );
    }
}
