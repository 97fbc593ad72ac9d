//! ArbWasm's and ArbWasmCache's interface (functions, errors, events), defined once in
//! `devnet/abi/ArbWasm.sol`: the precompiles decode and answer with these types, and tests and
//! deployers call through them.

alloy_sol_types::sol!(
    #![sol(all_derives)]
    "abi/ArbWasm.sol"
);
