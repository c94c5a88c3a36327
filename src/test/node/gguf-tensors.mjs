// Prints the tensor table of a GGUF file as JSON, read by the independent @huggingface/gguf
// package: [{name, type, dims, offset}] with dims in GGUF order (dims[0] = values per row) and
// offset the absolute byte offset of the tensor's data in the file.
import { gguf } from "@huggingface/gguf";
import path from "node:path";

const file = path.resolve(process.argv[2]);
const { tensorInfos, tensorDataOffset } = await gguf(file, { allowLocalFile: true });
const out = tensorInfos.map((t) => ({
  name: t.name,
  type: Number(t.dtype),
  dims: t.shape.map(Number),
  offset: Number(BigInt(tensorDataOffset) + BigInt(t.offset)),
}));
process.stdout.write(JSON.stringify(out) + "\n");
