//! The artifact pipeline's integration tests, one binary: committed fixtures in `pipeline`,
//! the real compute contract (ignored by default, slow) in `build_compute`.

mod build_compute;
mod pipeline;
