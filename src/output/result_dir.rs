//! A result folder that appears whole or not at all: files are written into a
//! hidden sibling folder, which is renamed into place when everything is done.

use crate::error::{Error, Result};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct ResultDir {
    target: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
}

impl ResultDir {
    /// Refuses an existing `target` unless `force` and it is a ccgsim result
    /// (see [`replaceable`]); cleans what a killed earlier run left beside it;
    /// creates the staging folder.
    pub fn create(target: &Path, force: bool) -> Result<ResultDir> {
        Self::create_inner(target, force, None)
    }

    /// [`create`](Self::create) for a result of `kind` ("run", "compare",
    /// "plot"): `--force` is refused up front when `target` holds another kind.
    pub fn create_for(target: &Path, force: bool, kind: &str) -> Result<ResultDir> {
        Self::create_inner(target, force, Some(kind))
    }

    fn create_inner(target: &Path, force: bool, kind: Option<&str>) -> Result<ResultDir> {
        let parent = parent_of(target);
        let name = name_of(target);
        recover_leftovers(&parent, &name)?;
        check_target(target, force, kind)?;
        fs::create_dir_all(&parent).map_err(|e| Error::io("create output folder", &parent, e))?;
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

    /// Write a `manifest.json` of `kind` listing every file in the staging
    /// folder (bytes, rows, BLAKE3), for results with no richer manifest
    /// (figures): it marks the folder as ccgsim's, so `--force` may replace it.
    pub fn write_listing_manifest(&self, kind: &str) -> Result<()> {
        let mut files = std::collections::BTreeMap::new();
        list_files(&self.staging, &self.staging, &mut files)?;
        let m = serde_json::json!({
            "tool": "ccgsim",
            "version": env!("CARGO_PKG_VERSION"),
            "kind": kind,
            "command_line": std::env::args().collect::<Vec<_>>(),
            "files": files,
            "complete": true,
        });
        let text = super::manifest::sealed_json(&m);
        let path = self.staging.join("manifest.json");
        fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
    }

    /// Move the finished folder into place. An old result is replaced only if
    /// forced and only if it is a ccgsim result of the same kind; if the swap
    /// fails the old result is put back, or the message says where it is.
    pub fn commit(mut self) -> Result<PathBuf> {
        let kind = manifest_kind(&self.staging);
        // One writer at a time swaps results in this folder.
        let parent = parent_of(&self.target);
        let _lock = lock_folder(&parent, true)?;
        check_target(&self.target, self.force, kind.as_deref())?;
        let old = aside_path(&self.target);
        let replacing = self.target.exists();
        if replacing {
            fs::rename(&self.target, &old)
                .map_err(|e| Error::io("move aside old result", &self.target, e))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if replacing && let Err(back) = fs::rename(&old, &self.target) {
                return Err(Error::Refused(format!(
                    "cannot move the new result into {} ({e}) nor put the old result back ({back}); \
                     the old result is in {} and the new one in {}",
                    self.target.display(),
                    old.display(),
                    self.staging.display()
                )));
            }
            return Err(Error::io("move result into place at", &self.target, e));
        }
        self.committed = true;
        if replacing {
            fs::remove_dir_all(&old).map_err(|e| {
                Error::Refused(format!(
                    "the new result is in {}, but the old one, moved aside to {}, could not be removed ({e}); \
                     remove it by hand (the next run into {} removes it too)",
                    self.target.display(),
                    old.display(),
                    self.target.display()
                ))
            })?;
        }
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

fn name_of(p: &Path) -> String {
    p.file_name()
        .map_or("result".into(), |n| n.to_string_lossy().to_string())
}

/// Where an old result waits while the new one is moved into place.
fn aside_path(target: &Path) -> PathBuf {
    target.with_file_name(format!(".{}.old-{}", name_of(target), std::process::id()))
}

/// An advisory lock (fs4) on a folder, held until the returned file is dropped;
/// `wait` blocks for it, otherwise another holder is refused at once.
pub fn lock_folder(dir: &Path, wait: bool) -> Result<Option<File>> {
    #[cfg(unix)]
    {
        use fs4::FileExt;
        let f = File::open(dir).map_err(|e| Error::io("open folder", dir, e))?;
        if wait {
            FileExt::lock(&f).map_err(|e| Error::io("lock folder", dir, e))?;
        } else {
            match FileExt::try_lock(&f) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(Error::Refused(format!(
                        "{} is being written by another ccgsim process; wait for it to finish, or choose another --out",
                        dir.display()
                    )));
                }
                Err(fs4::TryLockError::Error(e)) => return Err(Error::io("lock folder", dir, e)),
            }
        }
        Ok(Some(f))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, wait);
        Ok(None)
    }
}

/// Is process `pid` still running? Unknown (not Linux): assume it is.
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Clean what a killed run left beside `parent/name`: a staging folder of a
/// dead process is removed; an old result moved aside (`.name.old-PID`) is put
/// back if no result took its place, else removed (it was being replaced).
/// Only folders holding a ccgsim manifest (or staging folders, which only
/// ccgsim creates) are touched.
fn recover_leftovers(parent: &Path, name: &str) -> Result<()> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let target = parent.join(name);
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let (what, pid) = match rest.split_once('-') {
            Some((w @ ("old" | "partial"), pid)) => match pid.parse::<u32>() {
                Ok(pid) => (w, pid),
                Err(_) => continue,
            },
            _ => continue,
        };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = e.path();
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        match what {
            "partial" => {
                fs::remove_dir_all(&path).map_err(|e| Error::io("remove leftover", &path, e))?;
            }
            _ if manifest_kind(&path).is_none() => continue,
            _ if !target.exists() => {
                fs::rename(&path, &target)
                    .map_err(|e| Error::io("restore old result", &path, e))?;
                crate::warnln!(
                    "note: put back {}, the old result a killed run had moved aside to {}",
                    target.display(),
                    path.display()
                );
            }
            _ => {
                fs::remove_dir_all(&path).map_err(|e| Error::io("remove leftover", &path, e))?;
            }
        }
    }
    Ok(())
}

/// The `kind` in `dir/manifest.json` if it is a ccgsim manifest (bounded read).
fn manifest_kind(dir: &Path) -> Option<String> {
    let path = dir.join("manifest.json");
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > crate::output::verify::MAX_MANIFEST_BYTES {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
    if v.get("tool").and_then(|t| t.as_str()) != Some("ccgsim") {
        return None;
    }
    v.get("kind").and_then(|k| k.as_str()).map(str::to_string)
}

/// Every file under `dir` that `dir/manifest.json` does not list (the manifest
/// itself excepted), and any entry that is not a plain file or folder.
fn unlisted_files(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("manifest.json");
    let listed: Vec<String> = fs::read(&path)
        .ok()
        .and_then(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get("files")
                .and_then(|f| f.as_object())
                .map(|f| f.keys().cloned().collect())
        })
        .unwrap_or_default();
    let mut found = std::collections::BTreeMap::new();
    let mut odd = Vec::new();
    walk(dir, dir, &mut found, &mut odd)?;
    let mut out: Vec<String> = found
        .into_keys()
        .filter(|n| n != "manifest.json" && !listed.contains(n))
        .collect();
    out.extend(odd);
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    found: &mut std::collections::BTreeMap<String, PathBuf>,
    odd: &mut Vec<String>,
) -> Result<()> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?;
    for e in rd {
        let e = e.map_err(|e| Error::io("read folder", dir, e))?;
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let ty = e
            .file_type()
            .map_err(|e| Error::io("read folder", dir, e))?;
        if ty.is_dir() {
            walk(root, &path, found, odd)?;
        } else if ty.is_file() {
            found.insert(rel, path);
        } else {
            odd.push(rel);
        }
    }
    Ok(())
}

fn list_files(
    root: &Path,
    dir: &Path,
    out: &mut std::collections::BTreeMap<String, FileInfo>,
) -> Result<()> {
    let mut found = std::collections::BTreeMap::new();
    let mut odd = Vec::new();
    walk(root, dir, &mut found, &mut odd)?;
    for (rel, path) in found {
        if rel == "manifest.json" {
            continue;
        }
        let data = fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        let rows = if rel.ends_with(".csv") {
            (data.iter().filter(|&&b| b == b'\n').count() as u64).saturating_sub(1)
        } else {
            0
        };
        out.insert(
            rel,
            FileInfo {
                rows,
                bytes: data.len() as u64,
                blake3: blake3::hash(&data).to_hex().to_string(),
            },
        );
    }
    Ok(())
}

/// May `target` be written? Not if it is a file; if it exists, only with
/// `force`, and only when it is a ccgsim result (of `kind`, when known) that
/// holds no file ccgsim did not write: `--force` never deletes a user's folder.
pub fn check_target(target: &Path, force: bool, kind: Option<&str>) -> Result<()> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Err(Error::Refused(format!(
            "output path {} is {}, not a folder; choose another --out",
            target.display(),
            if meta.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "a file"
            }
        )));
    }
    if !force {
        return Err(Error::Refused(format!(
            "output folder {} already exists; choose another --out, or pass --force to replace it",
            target.display()
        )));
    }
    let refuse = |why: String| {
        Err(Error::Refused(format!(
            "--force replaces only a ccgsim result, and {} {why}; nothing was deleted — choose another --out",
            target.display()
        )))
    };
    let Some(old_kind) = manifest_kind(target) else {
        return refuse("holds no ccgsim manifest.json".into());
    };
    if let Some(kind) = kind
        && kind != old_kind
    {
        return refuse(format!(
            "holds a `{old_kind}` result, not a `{kind}` result"
        ));
    }
    let extra = unlisted_files(target)?;
    if !extra.is_empty() {
        let shown: Vec<&str> = extra.iter().take(5).map(String::as_str).collect();
        return refuse(format!(
            "holds {} file(s) its manifest does not list ({}{}), which ccgsim did not write",
            extra.len(),
            shown.join(", "),
            if extra.len() > 5 { ", …" } else { "" }
        ));
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

/// Bytes a [`HashedFile`] gathers before it hashes and writes them: large and a
/// power of two, so BLAKE3 hashes whole 256 KiB subtrees with all its SIMD
/// lanes busy (one `update` per 19 KB run left it merging small subtrees), and
/// the kernel sees one `write` per 256 KiB. Not larger: each open file's block
/// is fresh memory, a page fault per 4 KiB, and a run's two CSV tables filled
/// their 1 MiB blocks (512 faults, a sixth of a 40-practice CSV run's).
const HASHED_BLOCK: usize = 256 << 10;

/// Writes of at least this many bytes (Parquet pages) are hashed and written
/// from the caller's bytes instead of being copied into the block first.
const HASHED_DIRECT: usize = 64 << 10;

/// A buffered file that counts rows and hashes what is written. Bytes are
/// gathered into a [`HASHED_BLOCK`] buffer, then hashed and written together;
/// pieces of [`HASHED_DIRECT`] bytes or more are hashed and written where they
/// lie, after the gathered bytes (the file and the hash are those of the bytes
/// in the order written).
pub struct HashedFile {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    hasher: blake3::Hasher,
    bytes: u64,
    rows: u64,
}

impl HashedFile {
    pub fn create(path: &Path) -> Result<HashedFile> {
        let f = File::create(path).map_err(|e| Error::io("create", path, e))?;
        Ok(HashedFile {
            path: path.to_path_buf(),
            file: f,
            buf: Vec::with_capacity(HASHED_BLOCK),
            hasher: blake3::Hasher::new(),
            bytes: 0,
            rows: 0,
        })
    }

    /// Write `data`, which holds `rows` data rows.
    pub fn write(&mut self, mut data: &[u8], rows: u64) -> Result<()> {
        self.bytes += data.len() as u64;
        self.rows += rows;
        if data.len() >= HASHED_DIRECT {
            // Large enough to hash efficiently as it is: hashed and written
            // from the caller's bytes, after what is gathered (one `writev`).
            let buf = std::mem::take(&mut self.buf);
            let done = self.emit_two(&buf, data);
            self.buf = buf;
            self.buf.clear();
            return done;
        }
        while !data.is_empty() {
            let take = (HASHED_BLOCK - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == HASHED_BLOCK {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let done = self.emit(&buf);
        self.buf = buf;
        self.buf.clear();
        done
    }

    /// Hash and write `a` then `b` (the next bytes of the file).
    fn emit_two(&mut self, a: &[u8], b: &[u8]) -> Result<()> {
        use std::io::IoSlice;
        self.hasher.update(a);
        self.hasher.update(b);
        let mut both = [IoSlice::new(a), IoSlice::new(b)];
        let mut left = &mut both[..];
        IoSlice::advance_slices(&mut left, 0);
        while !left.is_empty() {
            match self.file.write_vectored(left) {
                Ok(0) => {
                    let e = std::io::Error::from(std::io::ErrorKind::WriteZero);
                    return Err(Error::io("write", &self.path, e));
                }
                Ok(n) => IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("write", &self.path, e)),
            }
        }
        Ok(())
    }

    /// Hash and write `data` (the next bytes of the file).
    fn emit(&mut self, data: &[u8]) -> Result<()> {
        self.hasher.update(data);
        self.file
            .write_all(data)
            .map_err(|e| Error::io("write", &self.path, e))
    }

    /// Flush to disk and report what was written.
    pub fn finish(mut self) -> Result<FileInfo> {
        if !self.buf.is_empty() {
            self.flush_block()?;
        }
        self.file
            .sync_all()
            .map_err(|e| Error::io("sync", &self.path, e))?;
        Ok(FileInfo {
            rows: self.rows,
            bytes: self.bytes,
            blake3: self.hasher.finalize().to_hex().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_file_holds_and_hashes_exactly_what_was_written() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.csv");
        let mut f = HashedFile::create(&path).unwrap();
        // Pieces small and large, across and exactly at block boundaries.
        let mut want = Vec::new();
        let mut x = 7u64;
        for len in [
            0,
            1,
            19_000,
            HASHED_BLOCK - 19_001,
            5,
            HASHED_BLOCK,
            3 * HASHED_BLOCK + 17,
            300,
            HASHED_DIRECT - 1,
            HASHED_DIRECT,
            11,
            HASHED_DIRECT + 1,
            HASHED_BLOCK - 3,
            HASHED_DIRECT - 1,
        ] {
            let piece: Vec<u8> = (0..len)
                .map(|_| {
                    x = crate::model::rng::splitmix64(x);
                    x as u8
                })
                .collect();
            f.write(&piece, 2).unwrap();
            want.extend_from_slice(&piece);
        }
        let info = f.finish().unwrap();
        assert_eq!(fs::read(&path).unwrap(), want);
        assert_eq!(info.bytes, want.len() as u64);
        assert_eq!(info.rows, 28);
        assert_eq!(info.blake3, blake3::hash(&want).to_hex().to_string());
    }

    fn fake_result(dir: &Path, kind: &str) {
        fs::create_dir_all(dir).unwrap();
        let m = serde_json::json!({"tool": "ccgsim", "kind": kind, "files": {}, "complete": true});
        fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
    }

    #[test]
    fn a_failed_swap_puts_the_old_result_back() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        fake_result(&target, "run");
        let old = fs::read(target.join("manifest.json")).unwrap();
        let dir = ResultDir::create_for(&target, true, "run").unwrap();
        // The new result vanishes before it is moved in: the move fails.
        fs::remove_dir_all(dir.staging()).unwrap();
        assert!(dir.commit().is_err());
        assert_eq!(fs::read(target.join("manifest.json")).unwrap(), old);
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["r"], "nothing left aside");
    }

    #[test]
    fn force_checks_kind_and_unlisted_files() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("r");
        fake_result(&target, "compare");
        let e = ResultDir::create_for(&target, true, "run").err().unwrap();
        assert!(e.to_string().contains("not a `run` result"), "{e}");
        fs::write(target.join("mine.txt"), "x").unwrap();
        let e = ResultDir::create_for(&target, true, "compare")
            .err()
            .unwrap();
        assert!(e.to_string().contains("mine.txt"), "{e}");
        fs::remove_file(target.join("mine.txt")).unwrap();
        assert!(ResultDir::create_for(&target, true, "compare").is_ok());
    }
}
