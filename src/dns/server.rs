//! An authoritative DNS server for the zone a scenario gives, sans-IO: a query in, a
//! response out (RFC 1035 §4.3.2 for one zone, no recursion).

use super::wire::{Answer, DnsRepr, RData, RCODE_NOTIMP, RCODE_NXDOMAIN};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    pub records: Vec<Answer>,
}

impl Zone {
    /// The response to `q`: the records of its name and type; NXDOMAIN when the name has no
    /// record at all, an empty answer (NODATA) when it has records of other types only.
    pub fn answer(&self, q: &DnsRepr) -> Option<DnsRepr> {
        if q.response {
            return None;
        }
        let mut r = q.clone();
        r.response = true;
        r.aa = true;
        r.answers.clear();
        let of_name: Vec<&Answer> = self
            .records
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case(&q.qname))
            .collect();
        if of_name.is_empty() {
            r.rcode = RCODE_NXDOMAIN;
            return Some(r);
        }
        r.answers = of_name
            .into_iter()
            .filter(|a| {
                matches!(
                    (&a.data, q.qtype),
                    (RData::A(_), super::wire::TYPE_A) | (RData::Ptr(_), super::wire::TYPE_PTR)
                )
            })
            .map(|a| Answer {
                name: q.qname.clone(),
                ..a.clone()
            })
            .collect();
        if q.qtype == 0 {
            r.rcode = RCODE_NOTIMP;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::{TYPE_A, TYPE_PTR};
    use super::*;
    use std::net::Ipv4Addr;

    fn zone() -> Zone {
        Zone {
            records: vec![
                Answer {
                    name: "www.lab".into(),
                    ttl: 300,
                    data: RData::A(Ipv4Addr::new(10, 0, 0, 80)),
                },
                Answer {
                    name: "80.0.0.10.in-addr.arpa".into(),
                    ttl: 300,
                    data: RData::Ptr("www.lab".into()),
                },
            ],
        }
    }

    #[test]
    fn a_ptr_nxdomain_and_nodata() {
        let z = zone();
        let a = z.answer(&DnsRepr::query(1, "WWW.lab", TYPE_A)).unwrap();
        assert!(a.response && a.aa);
        assert_eq!(a.rcode, 0);
        assert_eq!(a.answers.len(), 1);
        assert_eq!(a.answers[0].name, "WWW.lab", "the name as asked");
        let p = z
            .answer(&DnsRepr::query(2, "80.0.0.10.in-addr.arpa", TYPE_PTR))
            .unwrap();
        assert_eq!(p.answers[0].data, RData::Ptr("www.lab".into()));
        let nx = z.answer(&DnsRepr::query(3, "nope.lab", TYPE_A)).unwrap();
        assert_eq!(nx.rcode, RCODE_NXDOMAIN);
        let nodata = z.answer(&DnsRepr::query(4, "www.lab", TYPE_PTR)).unwrap();
        assert_eq!((nodata.rcode, nodata.answers.len()), (0, 0));
    }
}
