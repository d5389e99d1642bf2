//! A Linux TAP device: one `read` is one Ethernet frame from the kernel, one `write` sends one
//! to it (`IFF_TAP | IFF_NO_PI`: no packet-information header, no preamble, no FCS, no padding;
//! ORACLES.md §4 saw ARP arrive as 42 bytes). This is an I/O edge, like the pcap writer: nothing
//! in the simulation core calls it.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `_IOW('T', 202, int)`, from `<linux/if_tun.h>`.
const TUNSETIFF: libc::c_ulong = 0x4004_54CA;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// Fail with `EBUSY` if the device already exists (`tun.c`: `IFF_TUN_EXCL`), so netlab never
/// takes over an interface someone else made unless told to.
const IFF_TUN_EXCL: libc::c_short = -0x8000; // 0x8000 as a C `short`
/// Longest interface name (`IFNAMSIZ` less the NUL).
pub const MAX_NAME_LEN: usize = 15;

/// `struct ifreq` as TUNSETIFF reads it: the name, then the flags in the union.
#[repr(C)]
struct IfReq {
    name: [libc::c_char; 16],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// An open TAP device. Closing it removes a device netlab created (non-persistent).
#[derive(Debug)]
pub struct TapDevice {
    fd: OwnedFd,
    pub name: String,
}

/// Whether an interface of that name exists in the calling thread's network namespace.
pub fn interface_exists(name: &str) -> bool {
    let Ok(c) = CString::new(name) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated string; the call only reads it.
    unsafe { libc::if_nametoindex(c.as_ptr()) != 0 }
}

impl TapDevice {
    /// Opens (creates) the TAP device `name` in the calling thread's network namespace, non-
    /// blocking. Unless `existing` is true, refuses a name already in use by any interface.
    pub fn open(name: &str, existing: bool) -> io::Result<TapDevice> {
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains(['/', ' ', '\0']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a usable interface name (1 to 15 characters, no `/`)"),
            ));
        }
        if !existing && interface_exists(name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "an interface called `{name}` already exists: netlab does not take over an \
                     existing interface unless told so (--tap-existing), and never one that is \
                     not a TAP"
                ),
            ));
        }
        // SAFETY: plain open(2) of a constant path; the result is checked.
        let raw = unsafe {
            libc::open(
                c"/dev/net/tun".as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if raw < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot open /dev/net/tun: {e} (a TAP needs the tun module and CAP_NET_ADMIN)"
                ),
            ));
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut req = IfReq {
            name: [0; 16],
            flags: IFF_TAP | IFF_NO_PI | if existing { 0 } else { IFF_TUN_EXCL },
            _pad: [0; 22],
        };
        for (d, s) in req.name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        // SAFETY: TUNSETIFF reads and writes a `struct ifreq`, which `IfReq` lays out.
        if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF as _, &mut req) } < 0 {
            let e = io::Error::last_os_error();
            let why = match e.raw_os_error() {
                Some(libc::EPERM) => " (a TAP needs CAP_NET_ADMIN: run as root, or create a \
                                     persistent TAP for your user with `ip tuntap add dev NAME mode tap user $USER` \
                                     and pass --tap-existing)",
                Some(libc::EBUSY) => " (the interface exists or is in use by another program)",
                Some(libc::EINVAL) => " (an interface of that name exists and is not a TAP)",
                _ => "",
            };
            return Err(io::Error::new(
                e.kind(),
                format!("cannot attach to TAP `{name}`: {e}{why}"),
            ));
        }
        Ok(TapDevice {
            fd,
            name: name.to_string(),
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Reads one frame into `buf`; `Ok(None)` when none is waiting.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        Ok(Some(n as usize))
    }

    /// Writes one frame. A device that is down (`EIO`) drops it, as a cable into a switched-off
    /// NIC would: that is not an error of the run.
    pub fn write(&self, frame: &[u8]) -> io::Result<bool> {
        // SAFETY: `frame` is readable for its length.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EIO) | Some(libc::EAGAIN) => Ok(false),
                _ => Err(e),
            };
        }
        Ok(true)
    }
}
