//! What the upgrade tests share: a throwaway database directory and SQLite's integers.

use std::path::PathBuf;

/// A directory under the system temp dir, removed on drop.
pub(crate) struct Dir(PathBuf);

impl Dir {
    pub(crate) fn new(name: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "yellowstone-upgrade-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.0.join("router.db")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `u64` as SQLite stores it (every figure here is small).
pub(crate) fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap()
}
