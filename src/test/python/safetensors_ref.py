"""Reference for SafetensorsReferenceTest, using the format's own library (pip: safetensors).

  write OUT.safetensors  saves F32/F16 tensors with safetensors.numpy.save_file, prints their values as JSON
  read IN.safetensors    loads a file with safetensors.numpy.load_file, prints every tensor as JSON
"""
import json
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def dump(tensors):
    return json.dumps({k: {"dtype": str(v.dtype), "shape": list(v.shape),
                           "values": [float(x) for x in v.astype(np.float64).ravel()]}
                       for k, v in sorted(tensors.items())})


if sys.argv[1] == "write":
    t = {
        "model.embed_tokens.weight": (np.arange(15, dtype=np.float32).reshape(3, 5) * np.float32(0.37) - 1),
        "half": (np.arange(8, dtype=np.float32).reshape(4, 2) / 3).astype(np.float16),
        "norm": np.linspace(-2, 2, 7, dtype=np.float32),
    }
    save_file(t, sys.argv[2], metadata={"format": "pt"})
    print(dump(t))
else:
    print(dump(load_file(sys.argv[2])))
