//! The compute contract's events and errors, declared once so the contract emits them and the
//! router, the client and the tests decode them from the same definitions. Both are written in
//! Solidity, in `events.sol` and `errors.sol`, which the ABI export splices into the contract's
//! interface.

use alloy_sol_types::sol;

sol!(
    #![sol(all_derives)]
    "src/events.sol"
);

sol!(
    #![sol(all_derives)]
    "src/errors.sol"
);
