//! The token's events and errors as `sol!` types, declared in `erc20.sol`: the contract encodes
//! them, and the devnet and the tests decode them with these same definitions.

use alloy_sol_types::sol;

sol!(
    #![sol(all_derives)]
    "src/erc20.sol"
);
