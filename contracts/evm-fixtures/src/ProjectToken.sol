// SPDX-License-Identifier: MIT
// A project's native token for the capital contract's mint mode: an OpenZeppelin ERC20 whose
// owner names one minter (the capital contract) and whose constructor gives the holders an
// initial balance (the owner's, for bootstrapping the pool). Devnet only.
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract ProjectToken is ERC20, Ownable {
    /// The one account allowed to mint (none at first).
    address public minter;

    /// The owner named a new minter.
    event MinterSet(address indexed previous, address indexed minter);

    /// Only the minter may mint.
    error NotMinter(address caller);

    constructor(string memory name_, string memory symbol_, address[] memory holders, uint256 amountEach)
        ERC20(name_, symbol_)
        Ownable(msg.sender)
    {
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amountEach);
        }
    }

    /// Names `newMinter` (the zero address revokes): owner only.
    function setMinter(address newMinter) external onlyOwner {
        emit MinterSet(minter, newMinter);
        minter = newMinter;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        _mint(to, amount);
    }
}
