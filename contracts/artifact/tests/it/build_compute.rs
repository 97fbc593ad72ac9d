//! The full pipeline on the real contract: `cargo build` of `yellowstone-compute` for
//! wasm32-unknown-unknown with the `contract` profile, then process and size check.
//!
//! Ignored by default (a cold LTO build of the contract takes minutes). Run it with
//!
//! ```text
//! cargo test -p yellowstone-artifact --test it build_compute -- --ignored --nocapture
//! ```
//!
//! It builds into `<workspace>/target/stylus` and writes `yellowstone_compute.wasm` and
//! `yellowstone_compute.br` there, like `yellowstone build-contract`.

use yellowstone_artifact::{
    build_artifact, check_no_floats, decompress, validate, BuildOptions, Limits,
};

#[test]
#[ignore = "builds the compute contract for wasm32 (slow); run with --ignored"]
fn compute_contract_builds_into_a_deployable_artifact() {
    let mut opts = BuildOptions::new("yellowstone-compute");
    opts.dir = env!("CARGO_MANIFEST_DIR").into();
    let (built, artifact) = build_artifact(&opts).unwrap_or_else(|e| panic!("{e}"));

    validate(&artifact.normalized).unwrap();
    check_no_floats(&artifact.normalized).unwrap();
    assert_eq!(
        decompress(&artifact.deployable).unwrap(),
        artifact.normalized
    );
    let paths = artifact.write(&built.target_dir, &built.lib_name).unwrap();

    eprintln!(
        "raw {} bytes ({}), normalised {} bytes ({}), deployable {} bytes ({}, {:.1}% of 24,576)",
        artifact.raw_len,
        built.wasm_path.display(),
        artifact.normalized_len(),
        paths.wasm.display(),
        artifact.compressed_len(),
        paths.deployable.display(),
        artifact.percent_of(yellowstone_artifact::MAX_DEPLOYABLE_SIZE),
    );
    artifact
        .check_limits(&Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
}
