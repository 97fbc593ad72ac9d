//! The capital side (SPEC section 7, the Techno Capital Machine): the rules the capital contract
//! and the off-chain tools share.
//!
//! | module | what it decides |
//! |---|---|
//! | [`abi`] | the capital contract's events and errors |

pub mod abi;
