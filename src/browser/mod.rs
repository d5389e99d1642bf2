//! Pictures of a network and its run for the browser: `netlab topo` (the network as an SVG)
//! and `netlab view` (one self-contained HTML page that replays a run: the topology with frames
//! moving over it, the event list, each frame's layers and fields, the nodes' tables, the
//! ladder and the TCP graphs).
//!
//! The layout is computed here ([`layout`]) and drawn here ([`topo`]); the page gets the SVG and
//! the coordinates, so the two pictures are the same. The page's code is plain JavaScript,
//! type-checked with TypeScript's `checkJs` from its JSDoc types (`web/`), embedded in the binary
//! with `include_str!` so building netlab never needs npm.

pub mod data;
pub mod layout;
pub mod page;
mod parts;
pub mod topo;

pub use data::{collect, ViewData, ViewOptions};
pub use topo::Topology;
