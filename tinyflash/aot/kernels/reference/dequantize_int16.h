// DEQUANTIZE, int16 -> float32. TFLM computes (float)(scale * (q - zero_point)) in double; the product of a float32
// scale and a 17-bit integer is exact in double, so one float32 multiply rounds it the same way.
#ifndef TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT16_H_
#define TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT16_H_

#include <stdint.h>

struct DequantizeInt16Params {
  int32_t count;
  float scale;
  int32_t zero_point;
};

inline void DequantizeInt16(const DequantizeInt16Params& p, const int16_t* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = static_cast<float>(input[i] - p.zero_point) * p.scale;
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_DEQUANTIZE_INT16_H_
