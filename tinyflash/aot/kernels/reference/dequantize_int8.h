// DEQUANTIZE, int8 -> float32 by table: table[q + 128] = (float)(scale * (q - zero_point)), computed in double
// at generation time (exact, and cheaper than double math on a Cortex-M4).
#ifndef TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT8_H_
#define TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT8_H_

#include <stdint.h>

struct DequantizeInt8Params {
  int32_t count;
  const float* table;
};

inline void DequantizeInt8(const DequantizeInt8Params& p, const int8_t* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = p.table[input[i] + 128];
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT8_H_
