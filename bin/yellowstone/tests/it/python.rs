//! The Python the tests that drive other people's clients run: `YELLOWSTONE_PYTHON`, else
//! `target/pyenv/bin/python` (made by scripts/test.sh with `openai`, llama.cpp's server and
//! `gguf`). Without it, or without the modules a test imports, the test fails and says how.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A Python that imports every one of `modules`.
pub(crate) fn python(modules: &[&str]) -> PathBuf {
    let python = std::env::var_os("YELLOWSTONE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/pyenv/bin/python"));
    let imports = format!("import {}", modules.join(", "));
    let ready = Command::new(&python)
        .args(["-c", &imports])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ready,
        "{} cannot `{imports}`: run scripts/test.sh (it makes target/pyenv), or \
         `python3 -m venv target/pyenv && target/pyenv/bin/pip install openai \
         'llama-cpp-python[server]==0.3.36' gguf==0.19.0`, or set YELLOWSTONE_PYTHON",
        python.display()
    );
    python
}
