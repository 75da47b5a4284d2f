//! A result folder that appears whole or not at all: files are written into a
//! hidden sibling folder, which is renamed into place when everything is done.

use crate::error::{Error, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct ResultDir {
    target: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
}

impl ResultDir {
    /// Refuses an existing `target` unless `force`; creates the staging folder.
    pub fn create(target: &Path, force: bool) -> Result<ResultDir> {
        check_target(target, force)?;
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(|e| Error::io("create output folder", &parent, e))?;
        let name = target
            .file_name()
            .map_or("result".into(), |n| n.to_string_lossy().to_string());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .map_err(|e| Error::io("clear staging folder", &staging, e))?;
        }
        fs::create_dir(&staging).map_err(|e| Error::io("create output folder", &staging, e))?;
        Ok(ResultDir {
            target: target.to_path_buf(),
            staging,
            force,
            committed: false,
        })
    }

    /// The folder files are written to until [`commit`](Self::commit).
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// A new file in the staging folder, hashed as it is written.
    pub fn file(&self, name: &str) -> Result<HashedFile> {
        HashedFile::create(&self.staging.join(name))
    }

    /// Move the finished folder into place (replacing an old one only if forced).
    pub fn commit(mut self) -> Result<PathBuf> {
        check_target(&self.target, self.force)?;
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map_or("result".into(), |n| n.to_string_lossy().to_string()),
            std::process::id()
        ));
        let replacing = self.target.exists();
        if replacing {
            fs::rename(&self.target, &old)
                .map_err(|e| Error::io("move aside old result", &self.target, e))?;
        }
        fs::rename(&self.staging, &self.target)
            .map_err(|e| Error::io("move result into place at", &self.target, e))?;
        if replacing {
            fs::remove_dir_all(&old).map_err(|e| Error::io("remove old result", &old, e))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for ResultDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuse an existing `target` (unless `force`) or a file in its place; callers use it
/// to fail before doing any work.
pub fn check_target(target: &Path, force: bool) -> Result<()> {
    if target.is_file() {
        return Err(Error::Refused(format!(
            "output path {} is a file, not a folder; choose another --out",
            target.display()
        )));
    }
    if target.exists() && !force {
        return Err(Error::Refused(format!(
            "output folder {} already exists; choose another --out, or pass --force to replace it",
            target.display()
        )));
    }
    Ok(())
}

/// Size, row count and BLAKE3 hash of a written file, for the manifest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct FileInfo {
    pub rows: u64,
    pub bytes: u64,
    pub blake3: String,
}

/// A buffered file that counts rows and hashes what is written.
pub struct HashedFile {
    path: PathBuf,
    out: BufWriter<File>,
    hasher: blake3::Hasher,
    bytes: u64,
    rows: u64,
}

impl HashedFile {
    pub fn create(path: &Path) -> Result<HashedFile> {
        let f = File::create(path).map_err(|e| Error::io("create", path, e))?;
        Ok(HashedFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, f),
            hasher: blake3::Hasher::new(),
            bytes: 0,
            rows: 0,
        })
    }

    /// Write `data`, which holds `rows` data rows.
    pub fn write(&mut self, data: &[u8], rows: u64) -> Result<()> {
        self.out
            .write_all(data)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        self.rows += rows;
        Ok(())
    }

    /// Flush to disk and report what was written.
    pub fn finish(self) -> Result<FileInfo> {
        let HashedFile {
            path,
            out,
            hasher,
            bytes,
            rows,
        } = self;
        let f = out
            .into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io("sync", &path, e))?;
        Ok(FileInfo {
            rows,
            bytes,
            blake3: hasher.finalize().to_hex().to_string(),
        })
    }
}
