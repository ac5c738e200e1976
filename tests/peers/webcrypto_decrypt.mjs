// An independent kubeseal-format *decryptor* written against Node's WebCrypto from the format's description
// (u16be len || RSA-OAEP-SHA256(label) session key || AES-256-GCM, zero 12-byte nonce, tag appended).
// stdin: {"private_key_pkcs8_pem": str, "label": str, "items": {name: base64}}  stdout: {"items": {name: base64}}
import { readFileSync } from "node:fs";

const { subtle } = globalThis.crypto;
const request = JSON.parse(readFileSync(0, "utf8"));
const der = Buffer.from(request.private_key_pkcs8_pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
const key = await subtle.importKey("pkcs8", der, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]);
const label = new TextEncoder().encode(request.label);
const items = {};
for (const [name, value] of Object.entries(request.items)) {
  const blob = Buffer.from(value, "base64");
  const wrappedLength = blob.readUInt16BE(0);
  const wrapped = blob.subarray(2, 2 + wrappedLength);
  const sealed = blob.subarray(2 + wrappedLength);
  const sessionKey = await subtle.decrypt({ name: "RSA-OAEP", label }, key, wrapped);
  const aes = await subtle.importKey("raw", sessionKey, { name: "AES-GCM" }, false, ["decrypt"]);
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(12), tagLength: 128 }, aes, sealed);
  items[name] = Buffer.from(plain).toString("base64");
}
process.stdout.write(JSON.stringify({ items }));
