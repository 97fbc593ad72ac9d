// Writes out/: for each Solidity fixture in src/ (compiled with the pinned solc-js and
// OpenZeppelin from ./node_modules, see build.sh) its creation bytecode `<Name>.hex` (one line of
// hex without 0x) and solc's metadata `<Name>.metadata.json` (which the bytecode's IPFS hash
// names); for each genuine Uniswap V2 contract the creation bytecode from its npm package's
// build/<Name>.json, copied as published; and meta.json recording versions, settings and hashes.
// Byte for byte reproducible from the pinned inputs.
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const solc = require("solc");

const dir = __dirname;
const out = path.join(dir, "out");
const modules = path.join(dir, "node_modules");
const ozPrefix = "@openzeppelin/contracts/";
const fixtures = ["StEth", "WstEth", "ProjectToken", "ToggleFund"];
const uniswap = [
  ["@uniswap/v2-core", "1.0.1", "UniswapV2Factory"],
  ["@uniswap/v2-core", "1.0.1", "UniswapV2Pair"],
  ["@uniswap/v2-periphery", "1.1.0-beta.0", "UniswapV2Router02"],
  ["@uniswap/v2-periphery", "1.1.0-beta.0", "WETH9"],
];
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: { "*": { "*": ["evm.bytecode.object", "metadata"] } },
};
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");
const packageJson = (name) =>
  JSON.parse(fs.readFileSync(path.join(modules, name, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8"));

const sources = {};
for (const name of fixtures) {
  const file = `${name}.sol`;
  sources[file] = { content: fs.readFileSync(path.join(dir, "src", file), "utf8") };
}
const read = (p) => {
  if (!p.startsWith(ozPrefix)) return { error: `not found: ${p}` };
  return { contents: fs.readFileSync(path.join(modules, p), "utf8") };
};
const compiled = JSON.parse(
  solc.compile(JSON.stringify({ language: "Solidity", sources, settings }), { import: read }),
);
for (const w of (compiled.errors || []).filter((e) => e.severity !== "error")) {
  console.error(w.formattedMessage);
}
const errors = (compiled.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}

fs.mkdirSync(out, { recursive: true });
const record = {
  solc: solc.version(),
  openzeppelin: packageJson("@openzeppelin/contracts").version,
  settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion },
  fixtures: {},
  uniswap: {},
};
for (const name of fixtures) {
  const c = compiled.contracts[`${name}.sol`][name];
  const code = c.evm.bytecode.object;
  const meta = JSON.parse(c.metadata);
  const hashed = {};
  for (const [src, entry] of Object.entries(meta.sources)) {
    const text = sources[src] ? sources[src].content : read(src).contents;
    hashed[src] = { keccak256: entry.keccak256, sha256: sha256(text) };
  }
  fs.writeFileSync(path.join(out, `${name}.hex`), code + "\n");
  fs.writeFileSync(path.join(out, `${name}.metadata.json`), c.metadata);
  record.fixtures[name] = {
    contract: `src/${name}.sol:${name}`,
    creationBytecodeSha256: sha256(code),
    metadataSha256: sha256(c.metadata),
    sources: hashed,
  };
  console.log(`out/${name}.hex: ${code.length / 2} bytes`);
}
for (const [pkg, version, name] of uniswap) {
  const installed = packageJson(pkg).version;
  if (installed !== version) {
    console.error(`${pkg} is ${installed}, expected ${version}`);
    process.exit(1);
  }
  const file = path.join(modules, pkg, "build", `${name}.json`);
  const text = fs.readFileSync(file);
  const artifact = JSON.parse(text);
  const code = artifact.evm.bytecode.object;
  if (artifact.bytecode !== code || Object.keys(artifact.evm.bytecode.linkReferences || {}).length) {
    console.error(`${pkg}/build/${name}.json: unexpected bytecode layout`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(out, `${name}.hex`), code + "\n");
  record.uniswap[name] = {
    package: `${pkg}@${version}`,
    integrity: lock.packages[`node_modules/${pkg}`].integrity,
    artifact: `build/${name}.json`,
    artifactSha256: sha256(text),
    creationBytecodeSha256: sha256(code),
  };
  console.log(`out/${name}.hex: ${code.length / 2} bytes, from ${pkg}@${version}`);
}
fs.writeFileSync(path.join(out, "meta.json"), JSON.stringify(record, null, 2) + "\n");
