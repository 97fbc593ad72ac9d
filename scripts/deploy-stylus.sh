#!/usr/bin/env bash
# Deploys the Yellowstone compute contract to a REAL Stylus chain (Arbitrum Sepolia, Arbitrum
# One, or a Nitro dev node) through StylusDeployer (deploy, activate and construct in one
# transaction, as `cargo stylus deploy` does for a program with a constructor), authorises the
# router key, and bids for the program's place in Nitro's program cache (CacheManager), all with
# foundry's `cast`.
#
# The key comes from an encrypted keystore, a key file or the environment, never from this
# script's command line; the well-known anvil development keys are refused off the devnet.
#
# It needs `cast` and a funded key. It has been run against `yellowstone devnet --bare` (a local
# Stylus chain with StylusDeployer where Nitro dev nodes have it; docs/STYLUS.md), not against
# Arbitrum (no network here). Run --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/deploy-stylus.sh --rpc-url <url> --router <address> [options]

Deploys contracts/compute to a REAL Stylus chain and authorises a router:
  1. builds the artifact: cargo run --bin yellowstone -- build-contract (or takes --artifact)
     (with --with-devnet-mor, also the devnet's EVM MOR from contracts/mor-erc20/DevMor.hex);
  2. one transaction to StylusDeployer's deploy(bytecode, initData, initValue, salt): the
     artifact target/stylus/yellowstone_compute.br, its constructor (mor, owner, emission start
     day, first day emission, daily decrease, bootstrap start day), and as value the activation
     data fee ArbWasm quotes for that code plus 20% (the excess comes back), as cargo stylus
     deploy sends it. (cargo-stylus 0.10.10 itself is not used: with --wasm-file it deploys and
     activates but never runs the constructor, leaving the program for anyone to construct.)
  3. cast send <compute> "authorizeRouter(address)" <router>, signed by the owner key;
  4. the program-cache bid (on by default, --no-cache to skip): reads the chain's
     CacheManager from ArbWasmCache (0x72) allCacheManagers(), its minimum bid for the
     program with getMinBid(address), and sends placeBid(address) with that value.

The cache bid. A Stylus call pays the program's init cost (about 9,000 gas plus about
130 gas per KB of Wasm) unless the program is in Nitro's program cache; then it pays only
the small cached cost (docs/BENCHMARKS.md: commitEpoch and claim figures, cached and as
deployed). Programs enter the cache through the CacheManager contract
(OffchainLabs/nitro-contracts src/chain/CacheManager.sol), an auction for a cache of
limited size: placeBid(address program) payable caches the program for msg.value; while
the cache has room getMinBid(program) is 0 and a bid costs only its gas; when it is full
the bid must beat the smallest live bids, which are evicted. Bids decay: the contract ranks
a bid as value + time x decay, so a newer bid outranks an older equal one, and an evicted
program must bid again (check ArbWasmCache codehashIsCached(bytes32)). The bid is paid to
the CacheManager (swept to the network's fee account): it is a cost, not a deposit.
CacheManager addresses (the script reads the chain's own list; these are for reference):
  Arbitrum One      0x51dEDBD2f190E0696AFbEE5E60bFdE96d86464ec
  Arbitrum Sepolia  0x0C9043D042aB52cFa8d0207459260040Cca54253

Needs foundry's cast and a funded key. Rehearse against the local devnet first:
  yellowstone devnet --bare --port 8547 &
  scripts/deploy-stylus.sh --rpc-url http://127.0.0.1:8547 --with-devnet-mor --no-cache \
    --router <address> --key-file <file with Nitro's dev key, see docs/STYLUS.md>
(`yellowstone devnet` without --bare deploys the contracts itself.)

Options (each also read from the environment variable in brackets):
  --rpc-url URL              chain RPC endpoint [YELLOWSTONE_RPC_URL]
                             (e.g. https://sepolia-rollup.arbitrum.io/rpc)
  --keystore FILE            an encrypted keystore (foundry's `cast wallet import`, geth,
                             clef) holding the deployer and owner key [YELLOWSTONE_KEYSTORE],
  --keystore-password-file FILE  with its password file [YELLOWSTONE_KEYSTORE_PASSWORD_FILE].
                             Preferred: neither the key nor the password is ever in a
                             command line (cast gets them through ETH_KEYSTORE/ETH_PASSWORD).
  --key-file FILE            or a file holding the raw private key (hex) [YELLOWSTONE_KEY_FILE],
                             or set YELLOWSTONE_PRIVATE_KEY in the environment. cast has no
                             environment variable for a raw key, so it is passed to the
                             short-lived cast processes as --private-key (visible in this
                             machine's process list while they run). Keys are never accepted
                             on this script's command line.
  --mor ADDRESS              the deployed MOR token on that chain [YELLOWSTONE_MOR]
                             (required unless --with-devnet-mor)
  --owner ADDRESS            contract owner [YELLOWSTONE_OWNER]; default: the key's address.
                             With another owner (e.g. a multisig) step 3 is not sent: the
                             calldata is printed for the owner to send.
  --router ADDRESS           router key to authorise [YELLOWSTONE_ROUTER] (required unless
                             --no-authorize)
  --emission-start-day N     UTC day of the first emission [YELLOWSTONE_EMISSION_START_DAY]
                             default 19761 (2024-02-08, Morpheus's compute bucket)
  --first-day-emission WEI   wei scheduled on that day [YELLOWSTONE_FIRST_DAY_EMISSION]
                             default 3456000000000000000000 (3,456 MOR)
  --daily-decrease WEI       wei by which each later day's emission falls
                             [YELLOWSTONE_DAILY_DECREASE] default 592558728240000000
  --bootstrap-start-day N    UTC day the 365-day bootstrap window opens
                             [YELLOWSTONE_BOOTSTRAP_START_DAY] default: today (UTC)
  --compute ADDRESS          skip the deployment and only authorise the router on this
                             already deployed contract
  --no-authorize             deploy only; do not send authorizeRouter
  --with-devnet-mor          also deploy the devnet's MOR, an EVM ERC-20 (OpenZeppelin's
                             ERC20, contracts/mor-erc20/DevMor.hex, with cast send
                             --create) and use it as MOR, minting --devnet-mor-amount
                             (default 1000000e18 wei) to the owner.
                             For test chains only: production uses the deployed MOR.
  --devnet-mor-amount WEI    see --with-devnet-mor
  --artifact FILE            deploy this artifact (an EF F0 00 00-prefixed program, e.g. a
                             reviewed target/stylus/yellowstone_compute.br) instead of building
                             one in step 1 [YELLOWSTONE_ARTIFACT]
  --stylus-deployer ADDRESS  StylusDeployer [YELLOWSTONE_STYLUS_DEPLOYER]; default
                             0xcEcba2F1DC234f70Dd89F2041029807F8D03A990, cargo-stylus's default
                             (the CREATE2 address Nitro dev nodes use too)
  --no-cache                 do not bid for the program cache (step 4)
  --cache-manager ADDRESS    the CacheManager to bid at [YELLOWSTONE_CACHE_MANAGER]
                             default: the first of ArbWasmCache.allCacheManagers()
  --max-cache-bid WEI        refuse to bid more than this [YELLOWSTONE_MAX_CACHE_BID]
                             default 10000000000000000 (0.01 ETH); the bid is the
                             CacheManager's getMinBid(program) at the time of sending
  -h, --help                 this help

The well-known development keys (anvil's "test ... junk" mnemonic, Nitro's dev node key) are
refused unless --rpc-url points at the local devnet (127.0.0.1, localhost or [::1]).
EOF
}

die() {
  echo "deploy-stylus: error: $*" >&2
  exit 1
}
say() { echo "deploy-stylus: $*" >&2; }

# anvil's development keys (m/44'/60'/0'/0/0..9 of "test test ... junk") and Nitro's dev node
# key, as in contracts/protocol/src/dev.rs and
# devnet/src/chain/accounts.rs. Public test vectors: never to be used on a real chain.
ANVIL_KEYS=(
  ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
  59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
  5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
  7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
  47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a
  8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba
  92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e
  4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356
  dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97
  2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6
  b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659
)

# Their addresses, to refuse them from a keystore too.
ANVIL_ADDRESSES=(
  0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
  0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 0x90F79bf6EB2c4f870365E785982E1f101E93b906
  0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc
  0x976EA74026E726554dB657fA54763abd0C3a0aa9 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955
  0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720
  0x3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E
)

is_devnet_url() {
  [[ $1 =~ ^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]]
}
refuse_dev_key() {
  die "refusing a well-known development key (anvil's or Nitro's dev node's) on $rpc_url: everyone has it; use your own key (the dev keys are for the local devnet only)"
}

rpc_url=${YELLOWSTONE_RPC_URL:-}
key_file=${YELLOWSTONE_KEY_FILE:-}
keystore=${YELLOWSTONE_KEYSTORE:-}
keystore_password_file=${YELLOWSTONE_KEYSTORE_PASSWORD_FILE:-}
mor=${YELLOWSTONE_MOR:-}
owner=${YELLOWSTONE_OWNER:-}
router=${YELLOWSTONE_ROUTER:-}
emission_start_day=${YELLOWSTONE_EMISSION_START_DAY:-19761}
first_day_emission=${YELLOWSTONE_FIRST_DAY_EMISSION:-3456000000000000000000}
daily_decrease=${YELLOWSTONE_DAILY_DECREASE:-592558728240000000}
bootstrap_start_day=${YELLOWSTONE_BOOTSTRAP_START_DAY:-$(($(date -u +%s) / 86400))}
compute=""
authorize=1
with_devnet_mor=0
devnet_mor_amount=1000000000000000000000000
cache=1
cache_manager=${YELLOWSTONE_CACHE_MANAGER:-}
max_cache_bid=${YELLOWSTONE_MAX_CACHE_BID:-10000000000000000}
stylus_deployer=${YELLOWSTONE_STYLUS_DEPLOYER:-0xcEcba2F1DC234f70Dd89F2041029807F8D03A990}
artifact=${YELLOWSTONE_ARTIFACT:-}

need_value() {
  [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --rpc-url) need_value "$@"; rpc_url=$2; shift 2 ;;
    --key-file) need_value "$@"; key_file=$2; shift 2 ;;
    --keystore) need_value "$@"; keystore=$2; shift 2 ;;
    --keystore-password-file) need_value "$@"; keystore_password_file=$2; shift 2 ;;
    --mor) need_value "$@"; mor=$2; shift 2 ;;
    --owner) need_value "$@"; owner=$2; shift 2 ;;
    --router) need_value "$@"; router=$2; shift 2 ;;
    --emission-start-day) need_value "$@"; emission_start_day=$2; shift 2 ;;
    --first-day-emission) need_value "$@"; first_day_emission=$2; shift 2 ;;
    --daily-decrease) need_value "$@"; daily_decrease=$2; shift 2 ;;
    --bootstrap-start-day) need_value "$@"; bootstrap_start_day=$2; shift 2 ;;
    --compute) need_value "$@"; compute=$2; shift 2 ;;
    --no-authorize) authorize=0; shift ;;
    --with-devnet-mor) with_devnet_mor=1; shift ;;
    --devnet-mor-amount) need_value "$@"; devnet_mor_amount=$2; shift 2 ;;
    --stylus-deployer) need_value "$@"; stylus_deployer=$2; shift 2 ;;
    --artifact) need_value "$@"; artifact=$2; shift 2 ;;
    --no-cache) cache=0; shift ;;
    --cache-manager) need_value "$@"; cache_manager=$2; shift 2 ;;
    --max-cache-bid) need_value "$@"; max_cache_bid=$2; shift 2 ;;
    --private-key | --private-key=* | --key | --key=*)
      die "private keys are not accepted on the command line (they end up in shell history and ps); use --key-file FILE or YELLOWSTONE_PRIVATE_KEY"
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

# ---- checks -------------------------------------------------------------------------------

is_address() { [[ $1 =~ ^0x[0-9a-fA-F]{40}$ ]]; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
# Whether the decimal integer $1 is at most $2, at any size (bash arithmetic stops at 2^63).
uint_le() { [[ ${#1} -lt ${#2} || (${#1} -eq ${#2} && ! $1 > $2) ]]; }

[[ -n $rpc_url ]] || die "--rpc-url (or YELLOWSTONE_RPC_URL) is required: this script deploys to a real Stylus chain"
[[ -z $mor || $with_devnet_mor == 1 ]] || is_address "$mor" || die "--mor is not an address: $mor"
[[ -n $mor || $with_devnet_mor == 1 ]] || die "--mor (the deployed MOR token on that chain) is required (or --with-devnet-mor on a test chain)"
[[ -z $mor || $with_devnet_mor == 0 ]] || die "--mor and --with-devnet-mor exclude each other"
[[ -z $owner ]] || is_address "$owner" || die "--owner is not an address: $owner"
[[ -z $compute ]] || is_address "$compute" || die "--compute is not an address: $compute"
[[ -z $cache_manager ]] || is_address "$cache_manager" || die "--cache-manager is not an address: $cache_manager"
is_address "$stylus_deployer" || die "--stylus-deployer is not an address: $stylus_deployer"
if [[ $authorize == 1 ]]; then
  [[ -n $router ]] || die "--router (the router key's address) is required (or --no-authorize)"
  is_address "$router" || die "--router is not an address: $router"
fi
for pair in "emission-start-day:$emission_start_day" "first-day-emission:$first_day_emission" \
  "daily-decrease:$daily_decrease" "bootstrap-start-day:$bootstrap_start_day" \
  "devnet-mor-amount:$devnet_mor_amount" "max-cache-bid:$max_cache_bid"; do
  is_uint "${pair#*:}" || die "--${pair%%:*} must be a non-negative integer (wei or a UTC day number): ${pair#*:}"
done

command -v cast >/dev/null 2>&1 ||
  die "foundry's cast is not installed (https://getfoundry.sh, or npm package @foundry-rs/cast)"
if [[ -z $compute && -z $artifact ]]; then
  command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs)"
fi
[[ -z $artifact || -r $artifact ]] || die "cannot read the artifact: $artifact"
# Absolute, as the script moves to the repository root below.
[[ -z $artifact ]] || artifact=$(cd "$(dirname "$artifact")" && pwd)/$(basename "$artifact")

# The key: a keystore, a key file or the environment, never this script's command line.
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
cast_auth=()
if [[ -n $keystore ]]; then
  [[ -z $key_file && -z ${YELLOWSTONE_PRIVATE_KEY:-} ]] ||
    die "give either a keystore or a raw key (--key-file / YELLOWSTONE_PRIVATE_KEY), not both"
  [[ -r $keystore ]] || die "cannot read the keystore: $keystore"
  [[ -n $keystore_password_file && -r $keystore_password_file ]] ||
    die "--keystore needs a readable --keystore-password-file"
  export ETH_KEYSTORE=$keystore ETH_PASSWORD=$keystore_password_file
else
  if [[ -n $key_file ]]; then
    [[ -r $key_file ]] || die "cannot read the key file: $key_file"
    key=$(tr -d ' \t\r\n' <"$key_file")
  elif [[ -n ${YELLOWSTONE_PRIVATE_KEY:-} ]]; then
    key=$(printf '%s' "$YELLOWSTONE_PRIVATE_KEY" | tr -d ' \t\r\n')
  else
    die "no key: pass --keystore FILE --keystore-password-file FILE, or --key-file FILE, or set YELLOWSTONE_PRIVATE_KEY (keys are never taken on the command line)"
  fi
  key=${key#0x}
  [[ $key =~ ^[0-9a-fA-F]{64}$ ]] || die "the private key must be 32 bytes of hex"
  key=$(printf '%s' "$key" | tr 'A-F' 'a-f')
  for anvil_key in "${ANVIL_KEYS[@]}"; do
    if [[ $key == "$anvil_key" ]] && ! is_devnet_url "$rpc_url"; then
      refuse_dev_key
    fi
  done
  cast_auth=(--private-key "0x$key")
  unset key
fi

deployer=$(cast wallet address "${cast_auth[@]}") || die "cast could not derive the key's address"
for anvil_address in "${ANVIL_ADDRESSES[@]}"; do
  if [[ ${deployer,,} == "${anvil_address,,}" ]] && ! is_devnet_url "$rpc_url"; then
    refuse_dev_key
  fi
done
[[ -n $owner ]] || owner=$deployer

chain_id=$(cast chain-id --rpc-url "$rpc_url") || die "cannot reach $rpc_url (cast chain-id failed)"
say "chain $chain_id at $rpc_url; deployer $deployer; owner $owner"

cd "$(dirname "$0")/.."
root=$(pwd)

ARB_WASM=0x0000000000000000000000000000000000000071

# Deploys the program in the file $1 (the EF F0 00 00-prefixed artifact) through StylusDeployer,
# constructing it with the ABI signature $2 and the arguments after it, in one transaction, as
# `cargo stylus deploy` does; prints the program's address.
stylus_deploy() {
  local program=$1 signature=$2
  shift 2
  local code codehash fee=0 quote init_code init_data receipt address
  code=$(od -An -v -tx1 "$program" | tr -d ' \n')
  [[ ${code:0:8} == eff00000 ]] || die "$program is not a Stylus artifact (no EF F0 00 00 prefix)"
  codehash=$(cast keccak "0x$code")
  if cast call "$ARB_WASM" "codehashVersion(bytes32)(uint16)" "$codehash" \
    --rpc-url "$rpc_url" >/dev/null 2>&1; then
    say "this code is already active on the chain: no activation, no data fee"
  else
    # ArbWasm quotes the data fee for this code placed at an unused address, for this call only.
    local spot=0x00000000000000000000000000000000005c0de5 payer=0x00000000000000000000000000000000005ca1e5
    quote=$(cast call "$ARB_WASM" "activateProgram(address)(uint16,uint256)" "$spot" \
      --from "$payer" --value 1ether --rpc-url "$rpc_url" \
      --override-balance "$payer:1000000000000000000000" --override-code "$spot:0x$code") ||
      die "ArbWasm refused to activate $program (quote above): is this a Stylus chain?"
    fee=$(printf '%s\n' "$quote" | sed -n 2p | cut -d' ' -f1)
    is_uint "$fee" && [[ ${#fee} -lt 18 ]] || die "unexpected data fee quote: $quote"
    fee=$((fee + fee / 5))
    say "activation data fee $fee wei (ArbWasm's quote plus 20%; the excess comes back)"
  fi
  # EVM init code returning the program as the contract's code:
  # PUSH4 len DUP1 PUSH1 14 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the program.
  init_code=$(printf '63%08x80600e6000396000f3%s' $((${#code} / 2)) "$code")
  # stylus-sdk's constructor: keccak("stylus_constructor()")[..4] ++ the ABI arguments.
  init_data=$(cast sig "stylus_constructor()")$(cast abi-encode "$signature" "$@" | cut -c3-)
  say "StylusDeployer ($stylus_deployer).deploy: CREATE, activateProgram, constructor"
  receipt=$(cast send --json --rpc-url "$rpc_url" "${cast_auth[@]}" --value "$fee" \
    "$stylus_deployer" "deploy(bytes,bytes,uint256,bytes32)" \
    "0x$init_code" "$init_data" 0 0x0000000000000000000000000000000000000000000000000000000000000000) ||
    die "StylusDeployer.deploy failed (a revert's data names the reason: ContractInitializationError(address,bytes) wraps the constructor's error)"
  # ContractDeployed(address): StylusDeployer's only event; the address is its data.
  address=$(printf '%s' "$receipt" | tr -d ' \n' |
    grep -oiE "\"address\":\"${stylus_deployer}\"[^}]*\"data\":\"0x[0-9a-f]{64}\"" |
    grep -oiE '0x[0-9a-f]{64}"$' | cut -c27-66) || true
  [[ -n $address ]] || die "no ContractDeployed log in the receipt: $receipt"
  printf '0x%s\n' "$address"
}

# ---- 1. artifacts -------------------------------------------------------------------------

if [[ -z $compute && -z $artifact ]]; then
  say "building the compute artifact (cargo run --bin yellowstone -- build-contract)"
  cargo run --quiet --locked --bin yellowstone -- build-contract >&2 ||
    die "build-contract failed"
fi
artifact=${artifact:-$root/target/stylus/yellowstone_compute.br}

# ---- 2. deployment ------------------------------------------------------------------------

if [[ $with_devnet_mor == 1 ]]; then
  say "deploying the devnet MOR (EVM ERC-20; test chains only, production uses the deployed MOR)"
  mor_args=$(cast abi-encode "constructor(address[],uint256)" "[$owner]" "$devnet_mor_amount") ||
    die "cast abi-encode failed"
  mor_code="0x$(tr -d ' \t\r\n' <"$root/contracts/mor-erc20/DevMor.hex")${mor_args#0x}"
  # Options before --create: cast reads every word after the code as constructor arguments.
  mor_receipt=$(cast send --json --rpc-url "$rpc_url" "${cast_auth[@]}" --create "$mor_code") ||
    die "deploying the devnet MOR failed"
  mor=$(printf '%s' "$mor_receipt" | grep -oE '"contractAddress": *"0x[0-9a-fA-F]{40}"' |
    grep -oE '0x[0-9a-fA-F]{40}') || die "no contract address in the MOR deployment's receipt"
  say "devnet MOR at $mor ($devnet_mor_amount wei to $owner)"
fi

if [[ -z $compute ]]; then
  say "constructor: mor $mor, owner $owner, emission start day $emission_start_day, first day $first_day_emission wei, daily decrease $daily_decrease wei, bootstrap start day $bootstrap_start_day"
  compute=$(stylus_deploy "$artifact" \
    "constructor(address,address,uint64,uint256,uint256,uint64)" \
    "$mor" "$owner" "$emission_start_day" "$first_day_emission" "$daily_decrease" "$bootstrap_start_day")
  say "compute contract at $compute"
  onchain_owner=$(cast call "$compute" "owner()(address)" --rpc-url "$rpc_url") ||
    die "the compute contract at $compute does not answer owner()"
  [[ ${onchain_owner,,} == "${owner,,}" ]] ||
    die "owner() is $onchain_owner, expected $owner: was the constructor run?"
fi

# ---- 3. authorise the router --------------------------------------------------------------

if [[ $authorize == 1 ]]; then
  if [[ ${owner,,} != "${deployer,,}" ]]; then
    say "the owner $owner is not this key ($deployer): have the owner send"
    echo "  to:   $compute" >&2
    echo "  data: $(cast calldata "authorizeRouter(address)" "$router")" >&2
  else
    say "authorizeRouter($router)"
    cast send "$compute" "authorizeRouter(address)" "$router" --rpc-url "$rpc_url" "${cast_auth[@]}" >&2 ||
      die "authorizeRouter failed"
    is_router=$(cast call "$compute" "isRouter(address)(bool)" "$router" --rpc-url "$rpc_url")
    [[ $is_router == true ]] || die "isRouter($router) is $is_router after authorizeRouter"
  fi
fi

# ---- 4. the program-cache bid -------------------------------------------------------------

if [[ $cache == 1 ]]; then
  if [[ -z $cache_manager ]]; then
    cache_manager=$(cast call 0x0000000000000000000000000000000000000072 \
      "allCacheManagers()(address[])" --rpc-url "$rpc_url" 2>/dev/null |
      grep -oE '0x[0-9a-fA-F]{40}' | head -n 1) || true
  fi
  # (`cast codehash` needs eth_getProof, which not every node serves.)
  codehash=$(cast keccak "$(cast code "$compute" --rpc-url "$rpc_url")") ||
    die "cannot read $compute's code"
  cached=$(cast call 0x0000000000000000000000000000000000000072 "codehashIsCached(bytes32)(bool)" \
    "$codehash" --rpc-url "$rpc_url") || die "ArbWasmCache.codehashIsCached failed: is this a Stylus chain?"
  if [[ $cached == true ]]; then
    say "the program ($codehash) is already in the program cache: no bid"
  elif [[ -z $cache_manager ]]; then
    say "no CacheManager on this chain (ArbWasmCache.allCacheManagers() is empty): the program is not cached; calls pay the init cost"
  else
    min_bid=$(cast call "$cache_manager" "getMinBid(address)(uint192)" "$compute" --rpc-url "$rpc_url") ||
      die "getMinBid($compute) failed at the CacheManager $cache_manager (is it cached already, or is the CacheManager older than placeBid(address)?)"
    min_bid=${min_bid%% *}
    is_uint "$min_bid" || die "getMinBid returned $min_bid"
    uint_le "$min_bid" "$max_cache_bid" ||
      die "the cache's minimum bid is $min_bid wei, above --max-cache-bid $max_cache_bid: raise it to pay, or --no-cache"
    say "placeBid($compute) at the CacheManager $cache_manager with $min_bid wei (its getMinBid)"
    cast send "$cache_manager" "placeBid(address)" "$compute" --value "$min_bid" \
      --rpc-url "$rpc_url" "${cast_auth[@]}" >&2 || die "placeBid failed"
  fi
fi

# One JSON object on stdout, like `yellowstone devnet`'s deployments file.
printf '{"rpc_url":"%s","chain_id":%s,"mor":"%s","compute":"%s","owner":"%s","router":"%s"}\n' \
  "$rpc_url" "$chain_id" "$mor" "$compute" "$owner" "$router"
