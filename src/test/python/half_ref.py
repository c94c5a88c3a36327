"""Reference for HalfTest: numpy's IEEE half conversions, on raw little-endian files.

  narrow IN.f32 OUT.u16   float32 values -> their nearest float16 (numpy astype, ties to even), as bits
  widen OUT.f32           every one of the 65536 float16 bit patterns -> its float32 value, as bits
"""
import sys

import numpy as np

if sys.argv[1] == "narrow":
    np.fromfile(sys.argv[2], dtype="<f4").astype(np.float16).view("<u2").tofile(sys.argv[3])
else:
    np.arange(65536, dtype=np.uint32).astype("<u2").view(np.float16).astype("<f4").tofile(sys.argv[2])
