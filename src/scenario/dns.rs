//! The scenario's DNS settings: a host's `dns` (its resolver's server) and `dns_zone` (a DNS
//! server's records).

use super::error::{ScenarioError, Src};
use super::model::Sp;
use crate::dns::wire::{Answer, RData};
use std::net::Ipv4Addr;
use std::str::FromStr;

pub(crate) fn server(src: &Src, v: Option<&Sp<String>>) -> Result<Option<Ipv4Addr>, ScenarioError> {
    let Some(v) = v else {
        return Ok(None);
    };
    Ipv4Addr::from_str(v.get_ref().trim())
        .map(Some)
        .map_err(|_| {
            src.error(
                v.span(),
                format!("`{}` is not an IPv4 address (the DNS server)", v.get_ref()),
            )
        })
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `NAME TTL A ADDRESS` or `NAME TTL PTR NAME`, as in a zone file (RFC 1035 §5.1).
pub(crate) fn zone(src: &Src, lines: &[Sp<String>]) -> Result<Vec<Answer>, ScenarioError> {
    let mut out = Vec::new();
    for line in lines {
        let text = line.get_ref();
        let words: Vec<&str> = text.split_whitespace().collect();
        let err = |m: String| src.error(line.span(), m);
        let [name, ttl, kind, data] = words[..] else {
            return Err(err(format!(
                "`{text}`: a record is NAME TTL A ADDRESS or NAME TTL PTR NAME, e.g. \"www.lab 300 A 10.0.0.80\""
            )));
        };
        let name = name.trim_end_matches('.');
        if !valid_name(name) {
            return Err(err(format!("`{name}` is not a domain name")));
        }
        let ttl: u32 = ttl
            .parse()
            .map_err(|_| err(format!("`{ttl}` is not a TTL in seconds (0 to 4294967295)")))?;
        let data = match kind.to_ascii_uppercase().as_str() {
            "A" => RData::A(
                Ipv4Addr::from_str(data)
                    .map_err(|_| err(format!("`{data}` is not an IPv4 address")))?,
            ),
            "PTR" => {
                let target = data.trim_end_matches('.');
                if !valid_name(target) {
                    return Err(err(format!("`{data}` is not a domain name")));
                }
                RData::Ptr(target.to_string())
            }
            other => {
                return Err(err(format!(
                    "record type `{other}`: netlab's DNS server has A and PTR records"
                )))
            }
        };
        out.push(Answer {
            name: name.to_string(),
            ttl,
            data,
        });
    }
    Ok(out)
}
