// QUANTIZE, float32 -> int8: roundf(x / scale) in float32, as TFLM.
#ifndef TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_INT8_H_
#define TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_INT8_H_

#include <math.h>
#include <stdint.h>

#include "common/fixedpoint.h"

struct QuantizeInt8Params {
  int32_t count;
  float scale;
  int32_t zero_point;
};

inline void QuantizeFloatToInt8(const QuantizeInt8Params& p, const float* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    float q = roundf(input[i] / p.scale);
    q = q < -1.0e9f ? -1.0e9f : (q > 1.0e9f ? 1.0e9f : q);  // keeps the int conversion defined
    output[i] = static_cast<int8_t>(Clamp(static_cast<int32_t>(q) + p.zero_point, INT8_MIN, INT8_MAX));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_INT8_H_
