// QUANTIZE, float32 -> int8 or int16: roundf(x / scale) in float32, as TFLM. DEQUANTIZE, int16 -> float32: TFLM
// computes (float)(scale * (q - zero_point)) in double; the product of a float32 scale and a 17-bit integer is exact
// in double, so one float32 multiply rounds it the same way.
#ifndef TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_H_

#include <math.h>
#include <stdint.h>

#include "common/fixedpoint.h"

struct QuantizeFloatParams {
  int32_t count;
  float scale;
  int32_t zero_point;
};

template <typename Out>
inline void QuantizeFloat(const QuantizeFloatParams& p, const float* input, Out* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    float q = roundf(input[i] / p.scale);
    q = q < -1.0e9f ? -1.0e9f : (q > 1.0e9f ? 1.0e9f : q);  // keeps the int conversion defined
    output[i] =
        static_cast<Out>(Clamp(static_cast<int32_t>(q) + p.zero_point, IntRange<Out>::kMin, IntRange<Out>::kMax));
  }
}

inline void DequantizeInt16(const QuantizeFloatParams& p, const int16_t* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = static_cast<float>(input[i] - p.zero_point) * p.scale;
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_QUANTIZE_FLOAT_H_
