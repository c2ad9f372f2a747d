//! Crash-safe file output: write to a temporary file in the target folder, fsync, rename.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Atomically replace `path` with `bytes`: readers see the old file or the new one, never a
/// partial write. The bytes go to `.<name>.<random>.tmp` beside it, are fsynced and renamed over
/// it; a crash in between leaves the old file and that temporary (whose name says what it was).
/// The new file keeps the old one's permissions, or gets `rw-r--r--`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    give_mode_of(tmp.as_file(), path)?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot move the new file into place at {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // persist the rename itself; not every platform can fsync a folder
        let _ = d.sync_all();
    }
    Ok(())
}

/// Give `file`, a temporary about to replace `path`, the permissions `path` has, or
/// `rw-r--r--` when it is new (a temporary file alone is owner-only).
pub fn give_mode_of(file: &std::fs::File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Write `<base>.md` and `<base>` as pretty JSON in `<base>.json`, each atomically.
pub fn write_md_json(base: &Path, md: &str, json: &impl serde::Serialize) -> Result<()> {
    write_atomic(&base.with_extension("md"), md.as_bytes())?;
    write_atomic(
        &base.with_extension("json"),
        serde_json::to_string_pretty(json)?.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/a.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let n = std::fs::read_dir(p.parent().unwrap()).unwrap().count();
        assert_eq!(n, 1);
    }

    /// New files are readable by others (a temporary file alone would be owner-only); a
    /// replaced file keeps its permissions.
    #[cfg(unix)]
    #[test]
    fn new_files_are_world_readable_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        write_atomic(&p, b"one").unwrap();
        assert_eq!(mode(&p), 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(mode(&p), 0o600);
    }
}
