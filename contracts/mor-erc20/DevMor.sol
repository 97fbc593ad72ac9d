// SPDX-License-Identifier: MIT
// The devnet's MOR: OpenZeppelin's ERC20, as MOR on Arbitrum is an EVM ERC-20 (a LayerZero OFT,
// whose transfer path is OpenZeppelin's ERC20). Devnet only: it mints to the given holders at
// construction and has no other way to mint. Built by build.sh; the committed DevMor.hex is
// its creation bytecode.
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract DevMor is ERC20 {
    constructor(address[] memory holders, uint256 amountEach) ERC20("Morpheus", "MOR") {
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amountEach);
        }
    }
}
