//! The protocol rules' integration tests, one binary: the multiplier against its reference,
//! and property-based fuzzing of everything that decodes outside input.

mod capital;
// The signed messages and signing helpers under fuzz exist only with `std`.
#[cfg(feature = "std")]
mod fuzz;
mod multiplier;
mod schedule;
