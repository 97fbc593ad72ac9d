//! The capital side (SPEC section 7, the Techno Capital Machine): the rules the capital contract
//! and the off-chain tools share.
//!
//! | module | what it decides |
//! |---|---|
//! | [`abi`] | the capital contract's events and errors |
//! | [`rewards`] | the reward-per-share accumulator with its carried remainder |
//! | [`lock`] | the weighted unlock time on top-ups |
//! | [`backing`] | yield, and the pro-rata payout under a loss |
//! | [`amm`] | Uniswap V2 arithmetic: swaps, the optimal swap, cumulative prices, the TWAP guards |
//! | [`params`] | the owner's parameters, their hard bounds and defaults |

pub mod abi;
pub mod amm;
pub mod backing;
pub mod lock;
pub mod params;
pub mod rewards;
