//! The capital contract's events and errors, declared once (in `errors.sol` and `events.sol`
//! beside this file) so the contract emits them and the CLI, the demo and the tests decode them
//! from the same definitions.

use alloy_sol_types::sol;

sol!(
    #![sol(all_derives)]
    "src/capital/events.sol"
);

sol!(
    #![sol(all_derives)]
    "src/capital/errors.sol"
);
