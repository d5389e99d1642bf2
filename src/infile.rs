//! Reading a user's input file whole, with a bound. An endless input (`netlab check
//! /dev/zero`, a FIFO that is never closed) or a wrong file given by mistake must end with an
//! error naming the bound, not exhaust memory.

use std::io::{self, BufRead, Read};
use std::path::Path;

/// Largest scenario, packetdrill script or other text file netlab reads whole. A generated
/// scenario of 20,000 hosts (`bench::switch_ping_scenario`) is about 2 MB; hand-written files
/// are kilobytes.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Largest capture `netlab replay` reads whole. It replays one conversation of it; a longer
/// capture is cut down first (`tcpdump -r big.pcap -w one.pcap port 5001`).
pub const MAX_CAPTURE_BYTES: u64 = 1 << 30;

/// `n` bytes in MiB or GiB, as the limits are written.
fn size_text(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else {
        format!("{} MiB", n >> 20)
    }
}

/// The bytes of the file at `path`, reading at most `limit` of them. A longer input is an
/// error of kind `InvalidData` saying so ("it is longer than 64 MiB, the most netlab reads
/// from one file"); callers put the file's name before it as for any error reading it.
pub fn read_bounded(path: impl AsRef<Path>, limit: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is longer than {}, the most netlab reads from one file",
                size_text(limit)
            ),
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] for UTF-8 text (an error of kind `InvalidData` otherwise, as
/// `std::fs::read_to_string` gives).
pub fn read_text_bounded(path: impl AsRef<Path>, limit: u64) -> io::Result<String> {
    String::from_utf8(read_bounded(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Line `number` of `input` without its line end (`\n` or `\r\n`), reading at most `max`
/// bytes for it; `None` at the end of the input. A longer line (an endless input with no
/// newline) is an error of kind `InvalidData` naming it and the bound.
pub fn bounded_line(
    input: &mut impl BufRead,
    max: usize,
    number: usize,
) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if Read::take(&mut *input, max as u64 + 1).read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "line {number} is longer than {}, the most netlab reads as one line",
                size_text(max as u64)
            ),
        ));
    }
    String::from_utf8(buf).map(Some).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {number} is not UTF-8 text"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endless input ends at the bound with an error naming it; a file of exactly the bound
    /// is read.
    #[test]
    fn an_endless_input_stops_at_the_bound() {
        let e = read_bounded("/dev/zero", 1 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "it is longer than 1 MiB, the most netlab reads from one file"
        );
        let dir = std::env::temp_dir().join(format!("netlab-infile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("exact");
        std::fs::write(&p, vec![b'x'; 1 << 20]).unwrap();
        assert_eq!(read_bounded(&p, 1 << 20).unwrap().len(), 1 << 20);
        assert!(read_text_bounded(&p, (1 << 20) - 1).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size_text(MAX_CAPTURE_BYTES), "1 GiB");
        assert_eq!(size_text(MAX_TEXT_BYTES), "64 MiB");
    }

    /// Lines end at `\n` or `\r\n` or the end of the input; a line with no end in sight (an
    /// endless input) is an error naming it once it passes the bound.
    #[test]
    fn lines_are_bounded() {
        let mut input = io::Cursor::new(b"next\r\nwhere\nquit".to_vec());
        let lines: Vec<_> = (1..=4)
            .map(|n| bounded_line(&mut input, 1 << 20, n).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                Some("next".into()),
                Some("where".into()),
                Some("quit".into()),
                None
            ]
        );
        let mut endless = io::BufReader::new(io::repeat(b'x'));
        let e = bounded_line(&mut endless, 1 << 20, 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3 is longer than 1 MiB, the most netlab reads as one line"
        );
    }
}
