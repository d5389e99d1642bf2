//! Real-time runs: simulated time paced to the wall clock, with the TAPs read and written
//! between events.
//!
//! Simulated time 0 is the moment the run starts. Before each event the driver calls
//! [`RealTime::wait`] ([`Pacer`]): when the event's time has come on the wall clock it runs at
//! once, and how late it ran is the *lag* (the wall clock's time minus the event's); until then
//! the driver sleeps in ppoll(2) on the TAPs, and a frame the kernel sends enters the simulated
//! network at the wall clock's time, as the kernel's NIC starting to send it. Frames that reach
//! a TAP node are written to the kernel before the next event. Ctrl-C (SIGINT) or SIGTERM ends
//! the run where it stands; the expectations are judged as at any end.
//!
//! The determinism of every other run does not hold here, by nature: the kernel's timing,
//! ISNs and ports are the real world's.

use super::device::TapDevice;
use super::netns::Netns;
use super::{for_kernel, from_kernel, inject, take_outbox, NodeKind, TapSpec};
use crate::sim::{NodeId, Pacer, World};
use crate::time::{Duration, Instant};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGINT/SIGTERM handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Where a run's TAPs are described: each TAP node and its spec, in node order. A scenario
/// implements it (`scenario::taps`), so this module, below the scenario, never reads its model.
pub trait TapSpecs {
    fn tap_specs(&self) -> Vec<(NodeId, &TapSpec)>;
}

/// The kernel's side of a scenario's TAPs: the open devices and the namespaces netlab made for
/// them. Dropping it closes the TAPs and deletes the namespaces (on every way out: the end of
/// the run, an error, Ctrl-C; only SIGKILL leaves a namespace behind).
#[derive(Debug)]
pub struct Taps {
    // Declared first: dropped (closed) before the namespaces are deleted.
    devices: Vec<(NodeId, TapDevice)>,
    namespaces: Vec<Netns>,
}

impl Taps {
    /// Opens the TAP of every `[[tap]]` of the scenario; with `netns`, creates the namespace
    /// first and gives the TAP its address and routes there. `existing`: an interface of that
    /// name may be attached to (a persistent TAP the user made); otherwise it is refused.
    pub fn open(scn: &impl TapSpecs, existing: bool) -> io::Result<Taps> {
        let mut taps = Taps {
            devices: Vec::new(),
            namespaces: Vec::new(),
        };
        for (node, spec) in scn.tap_specs() {
            let dev = taps.open_one(spec, existing)?;
            taps.devices.push((node, dev));
        }
        Ok(taps)
    }

    fn open_one(&mut self, spec: &TapSpec, existing: bool) -> io::Result<TapDevice> {
        let Some(ns_spec) = &spec.netns else {
            return TapDevice::open(&spec.ifname, existing);
        };
        let ns = Netns::create(&ns_spec.name)?;
        self.namespaces.push(ns);
        let ns = self.namespaces.last().expect("just pushed");
        let dev = ns.open_tap(&spec.ifname)?;
        let ifname = spec.ifname.as_str();
        if let Some(a) = ns_spec.addr {
            ns.ip(&["addr", "add", &a.to_string(), "dev", ifname])?;
        }
        ns.ip(&["link", "set", ifname, "up"])?;
        for (dest, via) in &ns_spec.routes {
            let dest = dest.map_or("default".to_string(), |d| d.to_string());
            ns.ip(&[
                "route",
                "add",
                &dest,
                "via",
                &via.to_string(),
                "dev",
                ifname,
            ])?;
        }
        Ok(dev)
    }

    /// The TAPs' interface names.
    pub fn interfaces(&self) -> Vec<String> {
        self.devices.iter().map(|(_, d)| d.name.clone()).collect()
    }

    /// The namespaces netlab made, by name.
    pub fn namespaces(&self) -> Vec<String> {
        self.namespaces.iter().map(|n| n.name.clone()).collect()
    }
}

/// Lag statistics: how late events ran against the wall clock.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Lag {
    pub events: u64,
    pub total_ns: u64,
    pub max_ns: u64,
    /// The simulated time of the event that ran latest, for a reader asking what it was (the first
    /// event after an idle second is late by the time a sleeping CPU takes to wake).
    pub max_at: Option<Instant>,
    /// `buckets[k]`: events whose lag was below 2^k µs (and not below 2^(k-1)), so a run of
    /// hours keeps 32 counters, not one number per event.
    buckets: [u64; 32],
}

impl Lag {
    pub fn add(&mut self, at: Instant, ns: u64) {
        self.events += 1;
        self.total_ns += ns;
        if ns >= self.max_ns {
            self.max_ns = ns;
            self.max_at = Some(at);
        }
        let us = ns / 1000;
        let k = (u64::BITS - us.leading_zeros()).min(31) as usize;
        self.buckets[k] += 1;
    }

    pub fn mean_ns(&self) -> u64 {
        self.total_ns.checked_div(self.events).unwrap_or(0)
    }

    /// A bound the lag of 99 % of the events stayed under: the top of the power-of-two bucket
    /// the 99th percentile falls in (so at most twice the exact value).
    pub fn p99_bound_ns(&self) -> u64 {
        let want = self.events - self.events / 100;
        let mut seen = 0;
        for (k, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= want {
                return (1u64 << k) * 1000;
            }
        }
        self.max_ns
    }
}

/// The real-time pacer of a run with TAPs.
pub struct RealTime {
    taps: Taps,
    /// The wall-clock instant of simulated time 0: the first `wait`, when the world is built
    /// and the run loop starts (not when the pacer is made, which would count the set-up as
    /// lag of the first event).
    origin: Option<std::time::Instant>,
    pub lag: Lag,
    /// Frames written to and read from the kernel.
    pub written: u64,
    pub read: u64,
    /// The first error a TAP gave (the run ends at it).
    pub error: Option<io::Error>,
    old_mask: libc::sigset_t,
    /// The mask ppoll waits with: the old one, SIGINT and SIGTERM let through.
    wait_mask: libc::sigset_t,
    buf: Vec<u8>,
}

impl RealTime {
    /// Takes over SIGINT and SIGTERM; the wall clock starts at the first [`Pacer::wait`].
    pub fn new(taps: Taps) -> RealTime {
        INTERRUPTED.store(false, Ordering::SeqCst);
        // SAFETY: signal-mask and handler calls on values we own; the handler only stores to
        // an atomic (async-signal-safe).
        let (old_mask, wait_mask) = unsafe {
            let mut block: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut block);
            libc::sigaddset(&mut block, libc::SIGINT);
            libc::sigaddset(&mut block, libc::SIGTERM);
            let mut old: libc::sigset_t = std::mem::zeroed();
            // Blocked except inside ppoll: a signal between two waits is not lost, it ends the
            // next wait at once.
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
            let mut wait = old;
            libc::sigdelset(&mut wait, libc::SIGINT);
            libc::sigdelset(&mut wait, libc::SIGTERM);
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
            libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
            // Wake-ups as close to the asked time as the kernel can (the default slack is
            // 50 µs): the lag is what this pacing is judged on.
            libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
            (old, wait)
        };
        RealTime {
            taps,
            origin: None,
            lag: Lag::default(),
            written: 0,
            read: 0,
            error: None,
            old_mask,
            wait_mask,
            buf: vec![0; 65_536],
        }
    }

    /// The wall clock as simulated time.
    pub fn wall(&self) -> Instant {
        let since = self.origin.map_or(0, |o| o.elapsed().as_nanos() as u64);
        Instant::ZERO + Duration::from_nanos(since)
    }

    /// Whether the run was ended by a signal.
    pub fn interrupted(&self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }

    pub fn namespaces(&self) -> Vec<String> {
        self.taps.namespaces()
    }

    /// Writes every frame waiting at a TAP node to its kernel.
    fn flush(&mut self, world: &mut World) {
        for (node, dev) in &self.taps.devices {
            for f in take_outbox(world, *node) {
                match dev.write(for_kernel(&f)) {
                    Ok(_) => self.written += 1,
                    Err(e) => {
                        self.error.get_or_insert(io::Error::new(
                            e.kind(),
                            format!("writing to TAP `{}`: {e}", dev.name),
                        ));
                    }
                }
            }
        }
    }

    /// Reads every frame the kernels have sent and puts them on the TAPs' cables at `at`.
    fn read_all(&mut self, world: &mut World, at: Instant) -> bool {
        let mut any = false;
        for (node, dev) in &self.taps.devices {
            loop {
                match dev.read(&mut self.buf) {
                    Ok(Some(n)) => {
                        if let Some(frame) = from_kernel(&self.buf[..n]) {
                            inject(world, *node, at, frame);
                            self.read += 1;
                            any = true;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        self.error.get_or_insert(io::Error::new(
                            e.kind(),
                            format!("reading from TAP `{}`: {e}", dev.name),
                        ));
                        break;
                    }
                }
            }
        }
        any
    }

    /// Sleeps until a TAP is readable, a signal comes, or `until` (simulated) is reached.
    fn sleep(&self, until: Option<Instant>) {
        let mut fds: Vec<libc::pollfd> = self
            .taps
            .devices
            .iter()
            .map(|(_, d)| libc::pollfd {
                fd: d.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let ts = until.map(|u| {
            let ns = u.saturating_since(self.wall()).as_nanos();
            libc::timespec {
                tv_sec: (ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (ns % 1_000_000_000) as libc::c_long,
            }
        });
        // SAFETY: `fds` and `ts` live across the call; the mask is a valid sigset.
        unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                ts.as_ref().map_or(std::ptr::null(), |t| t as *const _),
                &self.wait_mask,
            );
        }
    }
}

impl Pacer for RealTime {
    fn wait(&mut self, world: &mut World, deadline: Option<Instant>) -> bool {
        self.origin.get_or_insert_with(std::time::Instant::now);
        self.flush(world);
        loop {
            let next = world.fabric.queue.peek_time();
            let due = match (next, deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wall = self.wall();
            if let Some(d) = due.filter(|d| *d <= wall) {
                if next == Some(d) {
                    self.lag.add(d, wall.saturating_since(d).as_nanos());
                }
                return true;
            }
            if self.interrupted() || self.error.is_some() {
                world.fabric.queue.advance_to(wall);
                return false;
            }
            // Nothing is due before the wall clock's time: the world may move to it.
            if self.read_all(world, wall) {
                continue;
            }
            self.sleep(due);
        }
    }

    fn finish(&mut self, world: &mut World) {
        self.flush(world);
    }
}

impl Drop for RealTime {
    fn drop(&mut self) {
        // The TAPs and namespaces go first: a Ctrl-C still pending must not kill netlab before
        // they are removed.
        self.taps.devices.clear();
        self.taps.namespaces.clear();
        // SAFETY: restores the mask saved in `new` (a pending signal then only sets the flag),
        // then the default actions.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut());
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
        }
    }
}

/// True when a world has TAP nodes (such a run needs the real-time driver).
pub fn has_taps(world: &World) -> bool {
    world
        .nodes
        .iter()
        .any(|n| matches!(n.kind, NodeKind::Tap(_)))
}

/// The real-time lines of `netlab run`'s summary: the lag and what crossed each TAP.
pub fn summary(rt: &RealTime, world: &World) -> String {
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut s = format!(
        "real time: {} events run {:.3} ms late on average, 99 % under {:.3} ms, {:.3} ms at most{} (lag behind the wall clock){}",
        rt.lag.events,
        ms(rt.lag.mean_ns()),
        ms(rt.lag.p99_bound_ns().min(rt.lag.max_ns)),
        ms(rt.lag.max_ns),
        rt.lag
            .max_at
            .map(|t| format!(" (the event at {t} s)"))
            .unwrap_or_default(),
        if rt.interrupted() { "; ended by a signal (Ctrl-C or SIGTERM)" } else { "" }
    );
    for n in &world.nodes {
        if let NodeKind::Tap(t) = &n.kind {
            s.push_str(&format!(
                "\n  TAP {}: {} frames from the kernel, {} to it",
                t.ifname, t.counters.from_kernel, t.counters.to_kernel
            ));
            if t.counters.bad_fcs > 0 {
                s.push_str(&format!(
                    ", {} damaged on the cable (dropped)",
                    t.counters.bad_fcs
                ));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::Lag;
    use crate::time::Instant;

    #[test]
    fn lag_statistics() {
        let mut l = Lag::default();
        for _ in 0..990 {
            l.add(Instant::ZERO, 30_000); // 30 µs: below 32 µs
        }
        for _ in 0..10 {
            l.add(Instant::from_nanos(7), 5_000_000);
        }
        assert_eq!(l.events, 1000);
        assert_eq!(l.mean_ns(), (990 * 30_000 + 10 * 5_000_000) / 1000);
        assert_eq!(l.max_ns, 5_000_000);
        assert_eq!(l.max_at, Some(Instant::from_nanos(7)));
        assert_eq!(l.p99_bound_ns(), 32_000);
        assert_eq!(Lag::default().mean_ns(), 0);
    }
}
