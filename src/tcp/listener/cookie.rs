//! SYN cookies (`tcp_syncookies` = 1, Linux's default): when the SYN queue is full the
//! listener answers a SYN with a SYN-ACK whose sequence number encodes the connection, and
//! keeps nothing; an ACK that comes back acknowledging a valid cookie re-creates the
//! connection (D. J. Bernstein's scheme as Linux's `net/ipv4/syncookies.c` lays it out):
//!
//! ```text
//! cookie = H1(addresses, ports) + client ISN + (minute << 24)
//!        + ((H2(addresses, ports, minute) + mss index) mod 2^24)
//! ```
//!
//! A cookie is good for two minutes (`MAX_SYNCOOKIE_AGE`). Only the MSS survives, as one of
//! Linux's four values (`msstab`: 536, 1300, 1440, 1460); without timestamps to carry them,
//! window scaling and SACK are lost, so the cookie SYN-ACK offers neither (Linux's
//! `tcp_clear_options` when the SYN had no timestamp).

use crate::time::{Duration, Instant};
use std::net::SocketAddrV4;

/// Linux's `msstab`.
pub const MSS_TABLE: [u16; 4] = [536, 1300, 1440, 1460];
/// `TCP_SYNCOOKIE_PERIOD`: the counter ticks once a minute.
const PERIOD: Duration = Duration::from_secs(60);
/// `MAX_SYNCOOKIE_AGE`: a cookie from the current or the previous minute is accepted.
const MAX_AGE: u32 = 2;

/// A keyed 32-bit mix (splitmix64's finaliser): deterministic and cheap. Linux uses SipHash
/// with a boot-time secret; any keyed hash teaches the same thing here.
fn mix(key: u64, words: &[u32]) -> u32 {
    let mut h = key ^ 0x9e37_79b9_7f4a_7c15;
    for &w in words {
        h = (h ^ w as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
    }
    h = (h ^ (h >> 30)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (h ^ (h >> 31)) as u32
}

fn tuple(local: SocketAddrV4, remote: SocketAddrV4) -> [u32; 3] {
    [
        u32::from(*remote.ip()),
        u32::from(*local.ip()),
        ((remote.port() as u32) << 16) | local.port() as u32,
    ]
}

fn minute(now: Instant) -> u32 {
    (now.as_nanos() / PERIOD.as_nanos()) as u32
}

/// The index in [`MSS_TABLE`] of the largest MSS not above the client's.
pub fn mss_index(client_mss: u16) -> u32 {
    MSS_TABLE
        .iter()
        .rposition(|&m| m <= client_mss)
        .unwrap_or(0) as u32
}

/// The cookie (our ISN) for a SYN with sequence number `client_isn`.
pub fn make(
    key: u64,
    now: Instant,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    client_isn: u32,
    client_mss: u16,
) -> u32 {
    let t = tuple(local, remote);
    let count = minute(now);
    let h1 = mix(key, &t);
    let h2 = mix(key ^ 1, &[t[0], t[1], t[2], count]);
    h1.wrapping_add(client_isn)
        .wrapping_add(count << 24)
        .wrapping_add(h2.wrapping_add(mss_index(client_mss)) & 0x00ff_ffff)
}

/// The MSS a cookie encodes, if `cookie` (the ACK number − 1) is one we made within the last
/// two minutes for a SYN whose sequence number was `client_isn` (the ACK's seq − 1).
pub fn check(
    key: u64,
    now: Instant,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    client_isn: u32,
    cookie: u32,
) -> Option<u16> {
    let t = tuple(local, remote);
    let count = minute(now);
    let c = cookie.wrapping_sub(mix(key, &t).wrapping_add(client_isn));
    let age = count.wrapping_sub(c >> 24) & 0xff;
    if age >= MAX_AGE {
        return None;
    }
    let h2 = mix(key ^ 1, &[t[0], t[1], t[2], count.wrapping_sub(age)]);
    let index = c.wrapping_sub(h2) & 0x00ff_ffff;
    MSS_TABLE.get(index as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const L: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
    const R: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);

    #[test]
    fn a_cookie_checks_out_for_two_minutes_and_keeps_the_mss() {
        let t0 = Instant::ZERO + Duration::from_secs(30);
        let c = make(7, t0, L, R, 1000, 1460);
        assert_eq!(check(7, t0, L, R, 1000, c), Some(1460));
        assert_eq!(
            check(7, t0 + Duration::from_secs(60), L, R, 1000, c),
            Some(1460)
        );
        assert_eq!(check(7, t0 + Duration::from_secs(120), L, R, 1000, c), None);
        // An MSS between table values is rounded down (msstab).
        let c = make(7, t0, L, R, 1000, 1400);
        assert_eq!(check(7, t0, L, R, 1000, c), Some(1300));
        assert_eq!(mss_index(100), 0);
    }

    #[test]
    fn a_forged_or_misdirected_cookie_fails() {
        let t0 = Instant::ZERO + Duration::from_secs(1);
        let c = make(7, t0, L, R, 1000, 1460);
        let other = SocketAddrV4::new(*R.ip(), 40001);
        assert_eq!(check(7, t0, L, other, 1000, c), None, "another port");
        assert_eq!(check(8, t0, L, R, 1000, c), None, "another key");
        // The client ISN is only added in (as in Linux), so an ACK a few bytes off can still
        // decode to another MSS index; one far off cannot.
        assert_eq!(
            check(7, t0, L, R, 1000 + (1 << 20), c),
            None,
            "another client ISN"
        );
        // Nearly every random number fails (a cookie has ~2^-22 chance by luck).
        let lucky = (0..10_000u32)
            .filter(|&x| check(7, t0, L, R, 1000, x.wrapping_mul(2_654_435_761)).is_some())
            .count();
        assert!(lucky <= 1, "{lucky} random ACKs passed");
    }
}
