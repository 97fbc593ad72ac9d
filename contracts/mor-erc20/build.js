// Compiles DevMor.sol with the pinned solc-js and OpenZeppelin from ./node_modules (see
// build.sh) and writes DevMor.hex (creation bytecode, one line of hex without 0x) and
// DevMor.metadata.json (solc's metadata, which the bytecode's IPFS hash names) and DevMor.meta.json (compiler, settings, source hashes and the metadata hash), byte for byte
// reproducible from the pinned inputs.
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const solc = require("solc");

const dir = __dirname;
const ozPrefix = "@openzeppelin/contracts/";
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: { "*": { "*": ["evm.bytecode.object", "metadata"] } },
};
const input = {
  language: "Solidity",
  sources: { "DevMor.sol": { content: fs.readFileSync(path.join(dir, "DevMor.sol"), "utf8") } },
  settings,
};
const read = (p) => {
  if (!p.startsWith(ozPrefix)) return { error: `not found: ${p}` };
  const file = path.join(dir, "node_modules", p);
  return { contents: fs.readFileSync(file, "utf8") };
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: read }));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const c = out.contracts["DevMor.sol"].DevMor;
const meta = JSON.parse(c.metadata);
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");
const sources = {};
for (const [name, src] of Object.entries(meta.sources)) {
  const text = name === "DevMor.sol" ? input.sources[name].content : read(name).contents;
  sources[name] = { keccak256: src.keccak256, sha256: sha256(text) };
}
const record = {
  contract: "DevMor.sol:DevMor",
  solc: solc.version(),
  openzeppelin: JSON.parse(
    fs.readFileSync(path.join(dir, "node_modules", ozPrefix, "package.json"), "utf8"),
  ).version,
  settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion },
  creationBytecodeSha256: sha256(c.evm.bytecode.object),
  metadataSha256: sha256(c.metadata),
  sources,
};
fs.writeFileSync(path.join(dir, "DevMor.hex"), c.evm.bytecode.object + "\n");
fs.writeFileSync(path.join(dir, "DevMor.metadata.json"), c.metadata);
fs.writeFileSync(path.join(dir, "DevMor.meta.json"), JSON.stringify(record, null, 2) + "\n");
console.log(`DevMor.hex: ${c.evm.bytecode.object.length / 2} bytes, solc ${record.solc}`);
