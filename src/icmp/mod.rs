//! ICMP for IPv4 (RFC 792): the message format and the rules for sending errors.

pub mod wire;

pub use wire::{
    may_send_error_about, quote, quote_from_parts, DestUnreachableCode, IcmpParseError, IcmpRepr,
    NoErrorReason, TimeExceededCode,
};
