//! The wire types against their documentation: `docs/openapi.yaml` must describe exactly what
//! the types write, so the file cannot drift from the code.

mod openapi;
mod samples;
mod spec;
