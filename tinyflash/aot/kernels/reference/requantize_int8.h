// QUANTIZE, int8 -> int8.
#ifndef TINYFLASH_AOT_REFERENCE_REQUANTIZE_INT8_H_
#define TINYFLASH_AOT_REFERENCE_REQUANTIZE_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct RequantizeInt8Params {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

inline void RequantizeInt8(const RequantizeInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t value =
        MultiplyByQuantizedMultiplier(input[i] - p.input_zero_point, p.multiplier, p.shift) + p.output_zero_point;
    output[i] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_REQUANTIZE_INT8_H_
