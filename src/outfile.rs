//! Output files (captures, JSON Lines, SVG) written whole or not at all.
//!
//! A view is written to a temporary file next to its destination, then renamed over it, so a
//! failed write (a full disk) never leaves a truncated capture or a JSONL cut mid-line where
//! the user expects the file. The temporary file is created when the output is *opened*, before
//! the run, so a wrong directory is reported before minutes of simulation, not after.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// An output file being written: a temporary sibling until [`OutFile::commit`].
pub struct OutFile {
    path: PathBuf,
    /// Where the bytes go until the commit; `None` when the destination is not a regular file
    /// (`/dev/stdout`, a named pipe): renaming over a device is wrong, so those are written in
    /// place.
    tmp: Option<PathBuf>,
    committed: bool,
}

impl OutFile {
    /// Opens `path` for writing: checks that it can be written (its directory exists and is
    /// writable, it is not a directory) by creating the temporary file now.
    pub fn create(path: &str) -> Result<OutFile, String> {
        let dest = PathBuf::from(path);
        let fail = |e: io::Error| format!("cannot write {path}: {e}");
        match std::fs::metadata(&dest) {
            Ok(m) if m.is_dir() => return Err(format!("cannot write {path}: it is a directory")),
            Ok(m) if !m.is_file() => {
                // A device or a pipe: written in place, opened now to check it.
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&dest)
                    .map_err(fail)?;
                return Ok(OutFile {
                    path: dest,
                    tmp: None,
                    committed: false,
                });
            }
            _ => {}
        }
        let name = dest
            .file_name()
            .ok_or_else(|| format!("cannot write {path}: not a file name"))?
            .to_string_lossy()
            .into_owned();
        let tmp = dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        File::create(&tmp).map_err(fail)?;
        Ok(OutFile {
            path: dest,
            tmp: Some(tmp),
            committed: false,
        })
    }

    /// The path the bytes are to be written to now (the temporary file).
    pub fn write_path(&self) -> &Path {
        self.tmp.as_deref().unwrap_or(&self.path)
    }

    /// The temporary file, truncated, for writing.
    pub fn file(&self) -> io::Result<File> {
        match &self.tmp {
            Some(t) => File::create(t),
            None => std::fs::OpenOptions::new().write(true).open(&self.path),
        }
    }

    /// The destination path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the finished file in place.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(t) = &self.tmp {
            std::fs::rename(t, &self.path)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutFile {
    /// An output never committed (an error, an early exit) leaves nothing behind.
    fn drop(&mut self) {
        if let (false, Some(t)) = (self.committed, &self.tmp) {
            let _ = std::fs::remove_file(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("netlab-outfile-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_file_appears_only_when_committed() {
        let p = dir().join("a.txt");
        let o = OutFile::create(p.to_str().unwrap()).unwrap();
        std::fs::write(o.write_path(), "whole").unwrap();
        assert!(!p.exists());
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "whole");
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_and_the_old_file_stays() {
        let p = dir().join("b.txt");
        std::fs::write(&p, "old").unwrap();
        {
            let o = OutFile::create(p.to_str().unwrap()).unwrap();
            std::fs::write(o.write_path(), "half").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(dir())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(left.is_empty());
    }

    #[test]
    fn a_missing_directory_or_a_directory_is_refused_up_front() {
        let p = dir().join("no-such-dir").join("c.txt");
        let e = OutFile::create(p.to_str().unwrap()).err().unwrap();
        assert!(e.contains("No such file or directory"), "{e}");
        let e = OutFile::create(dir().to_str().unwrap()).err().unwrap();
        assert!(e.ends_with("it is a directory"), "{e}");
    }
}
