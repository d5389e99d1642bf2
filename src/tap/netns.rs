//! A network namespace netlab creates for a TAP, configures with `ip`, and deletes when dropped
//! (at the end of the run, on an error, or after Ctrl-C). Everything is done *inside* it:
//! `ip -n NAME …` for addresses and routes, so the host's own interfaces and routes are never
//! touched. The TAP itself must be created from inside the namespace (TUNSETIFF looks the name
//! up in the caller's namespace, ORACLES.md §4), which a short-lived thread does with setns(2):
//! the namespace is per thread, so the rest of netlab stays where it was.

use super::device::TapDevice;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;

/// A namespace netlab made; dropping it deletes it (and the TAP inside goes with it).
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

fn run_ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot run `ip` (iproute2) for the TAP's namespace: {e}"),
        )
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "`ip {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

impl Netns {
    fn path(name: &str) -> PathBuf {
        PathBuf::from("/var/run/netns").join(name)
    }

    /// Creates the namespace `name` with IPv6 off (so the kernel's router solicitations and
    /// MLD reports do not mix into an IPv4 lesson) and its loopback up. Refuses a namespace
    /// that already exists: it is not netlab's to configure or delete.
    pub fn create(name: &str) -> io::Result<Netns> {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a usable namespace name (letters, digits, `-`, `_`)"),
            ));
        }
        if Self::path(name).exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "the network namespace `{name}` already exists: netlab only uses a namespace \
                     it creates (delete it with `ip netns del {name}` if it is a leftover)"
                ),
            ));
        }
        run_ip(&["netns", "add", name])?;
        let ns = Netns {
            name: name.to_string(),
        };
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])?;
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])?;
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// `ip -n NAME ARGS…`.
    pub fn ip(&self, args: &[&str]) -> io::Result<()> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run_ip(&all)
    }

    /// `ip netns exec NAME ARGS…`.
    pub fn exec(&self, args: &[&str]) -> io::Result<()> {
        let mut all = vec!["netns", "exec", self.name.as_str()];
        all.extend_from_slice(args);
        run_ip(&all)
    }

    /// Creates and opens the TAP `ifname` inside the namespace.
    pub fn open_tap(&self, ifname: &str) -> io::Result<TapDevice> {
        let path = Self::path(&self.name);
        let ifname = ifname.to_string();
        std::thread::spawn(move || -> io::Result<TapDevice> {
            let ns = std::fs::File::open(&path)?;
            // SAFETY: setns on a namespace file we opened; it changes this thread only.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
                return Err(io::Error::last_os_error());
            }
            TapDevice::open(&ifname, false)
        })
        .join()
        .map_err(|_| io::Error::other("the thread creating the TAP panicked"))?
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = run_ip(&["netns", "del", &self.name]) {
            eprintln!("netlab: could not delete namespace `{}`: {e}", self.name);
        }
    }
}
