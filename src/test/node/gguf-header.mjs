// Prints a GGUF file's header as read by the independent @huggingface/gguf package, as JSON:
// {version, metadata: {key: {type, subType?, value}}, tensors: [{name, type, dims, offset}]}.
// Integers that may exceed 2^53 (uint64/int64) are printed as decimal strings; offset is absolute.
import { gguf } from "@huggingface/gguf";
import path from "node:path";

const file = path.resolve(process.argv[2]);
const { typedMetadata, tensorInfos, tensorDataOffset } = await gguf(file, { allowLocalFile: true, typedMetadata: true });
const metadata = {};
for (const [key, v] of Object.entries(typedMetadata)) {
  if (key === "version" || key === "tensor_count" || key === "kv_count") continue; // the header's fields, not keys
  metadata[key] = v;
}
const out = {
  version: Number(typedMetadata.version.value),
  metadata,
  tensors: tensorInfos.map((t) => ({
    name: t.name,
    type: Number(t.dtype),
    dims: t.shape.map(String),
    offset: String(BigInt(tensorDataOffset) + BigInt(t.offset)),
  })),
};
process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");
