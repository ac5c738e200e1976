// Seal values with the npm package @linode/kubeseal-encrypt (an independent kubeseal-format implementation).
// It only seals namespace-wide (OAEP label = namespace) and takes an SPKI public key PEM.
// stdin: {"public_key_pem": str, "namespace": str, "items": {name: utf8 string}}  stdout: {"items": {name: base64}}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const peers = process.env.SEALER_NODE_PEERS;
const require = createRequire(path.join(peers, "package.json"));
const { encryptSecretItem } = await import(require.resolve("@linode/kubeseal-encrypt"));

const request = JSON.parse(readFileSync(0, "utf8"));
const items = {};
for (const [name, value] of Object.entries(request.items)) {
  items[name] = await encryptSecretItem(request.public_key_pem, request.namespace, value);
}
process.stdout.write(JSON.stringify({ items }));
