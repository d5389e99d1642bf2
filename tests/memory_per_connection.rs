//! What a finished connection costs the process (issue #12: ≤ 1 KiB per TIME_WAIT
//! connection). A connection its side closed first stays in TIME_WAIT for 2·MSL, so a host that
//! makes many short connections holds thousands; each used to keep its whole `Connection` there
//! (about 2.3 KB with its application). This binary counts every byte allocated and freed (its
//! own global allocator, so the count is exact and the same on every run, where RSS is neither)
//! and runs the many-connection bench's network: the live bytes gained between the start and
//! the moment every connection is over, divided by the connections, all of them in TIME_WAIT.

use netlab::bench::{many_conn_probed, ManyConnProbe};
use netlab::sim::{NodeKind, World};
use netlab::tcp::State;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn in_time_wait(w: &World) -> u64 {
    (0..)
        .map_while(|i| w.node_id(&format!("c{i}")))
        .map(|id| match &w.node(id).kind {
            NodeKind::Host(h) => h.sockets().count_state(State::TimeWait),
            _ => 0,
        })
        .sum()
}

#[test]
fn a_connection_in_time_wait_costs_at_most_a_kibibyte() {
    let conns = 4000;
    let (mut before, mut after, mut time_wait) = (0, 0, 0);
    many_conn_probed(conns, &mut |at, w| match at {
        ManyConnProbe::Started => before = LIVE.load(Relaxed),
        ManyConnProbe::AllDone => {
            after = LIVE.load(Relaxed);
            time_wait = in_time_wait(w);
        }
    });
    assert_eq!(time_wait, conns as u64, "every connection is in TIME_WAIT");
    let per = (after - before) as f64 / conns as f64;
    eprintln!("{per:.0} live bytes per connection in TIME_WAIT");
    assert!(
        per <= 1024.0,
        "{per:.0} bytes per connection in TIME_WAIT, over 1 KiB"
    );
}
