// RSQRT, int8, as TFLM's RsqrtEvalQuantized: 1 / sqrt(q - zero point) in fixed point (InvSqrtMultiplier) applied
// to 1 with 20 extra bits, then rescaled by 1 / (sqrtf(input_scale) * output_scale). The zero point gives 127 as in
// TFLM; an input below it (a negative real) fails TFLM's invoke and gives 127 here.
#ifndef TINYFLASH_AOT_REFERENCE_RSQRT_INT8_H_
#define TINYFLASH_AOT_REFERENCE_RSQRT_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/fixedpoint_math.h"

struct RsqrtInt8Params {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

inline void RsqrtInt8(const RsqrtInt8Params& p, const int8_t* input, int8_t* output) {
  const int kShift = 20;  // keeps the intermediate an integer
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t value = input[i] - p.input_zero_point;
    if (value <= 0) {
      output[i] = INT8_MAX;
      continue;
    }
    int32_t inv_sqrt;
    int inv_sqrt_shift;
    InvSqrtMultiplier(value, &inv_sqrt, &inv_sqrt_shift);
    const int32_t data = MultiplyByQuantizedMultiplier(1, inv_sqrt, inv_sqrt_shift + kShift);
    const int32_t scaled = MultiplyByQuantizedMultiplier(data, p.multiplier, p.shift - kShift);
    output[i] = static_cast<int8_t>(Clamp(scaled + p.output_zero_point, INT8_MIN, INT8_MAX));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_RSQRT_INT8_H_
