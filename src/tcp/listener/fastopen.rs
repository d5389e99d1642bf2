//! A listener's answer to a SYN under TCP Fast Open (Linux `tcp_try_fastopen`).

use std::net::Ipv4Addr;

use crate::tcp::config::TcpConfig;
use crate::tcp::fastopen::{bits, server_cookie, FastOpenOption};
use crate::tcp::wire::TcpRepr;

/// What to do with a SYN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Answer {
    /// The cookie option the SYN-ACK carries: the client's cookie when it asked for one or
    /// sent a wrong one.
    pub reply: Option<FastOpenOption>,
    /// Make a Fast Open child: take the SYN's data and queue the connection for `accept` now.
    pub child: bool,
}

/// Linux's `tcp_try_fastopen`: Fast Open must be on for servers, the SYN must carry data or
/// the option, and the listener's Fast Open queue must have room. Then a good cookie (or none
/// needed) makes a child; a request or a wrong cookie is answered with the right one; a
/// malformed cookie gets nothing, and its data waits for the handshake like any SYN's.
pub(super) fn answer(
    config: &TcpConfig,
    queue_has_room: bool,
    syn: &TcpRepr,
    client: Ipv4Addr,
    server: Ipv4Addr,
) -> Answer {
    let option = syn.options.fast_open;
    if config.fastopen & bits::SERVER_ENABLE == 0
        || (syn.payload.is_empty() && option.is_none())
        || !queue_has_room
    {
        return Answer::default();
    }
    if config.fastopen & bits::SERVER_COOKIE_NOT_REQD != 0 || config.fastopen_no_cookie {
        return Answer {
            reply: None,
            child: true,
        };
    }
    let Some(option) = option.filter(|o| o.is_request() || o.is_valid_cookie()) else {
        return Answer::default();
    };
    let key = config.fastopen_key.unwrap_or_default();
    let good = FastOpenOption::with_cookie(option.exp, &server_cookie(&key, client, server));
    if option.is_valid_cookie() && option.cookie() == good.cookie() {
        Answer {
            reply: None,
            child: true,
        }
    } else {
        Answer {
            reply: Some(good),
            child: false,
        }
    }
}
