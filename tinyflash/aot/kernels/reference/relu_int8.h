// RELU, int8: rescales from the input to the output quantization, then clamps at the output's zero.
#ifndef TINYFLASH_AOT_REFERENCE_RELU_INT8_H_
#define TINYFLASH_AOT_REFERENCE_RELU_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct ReluInt8Params {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
  int32_t activation_min;
  int32_t activation_max;
};

inline void ReluInt8(const ReluInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t value =
        p.output_zero_point + MultiplyByQuantizedMultiplier(input[i] - p.input_zero_point, p.multiplier, p.shift);
    output[i] = static_cast<int8_t>(Clamp(value, p.activation_min, p.activation_max));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_RELU_INT8_H_
