// FULLY_CONNECTED, float32: TFLM's reference kernel (same summation order).
#ifndef TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_FLOAT_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct FullyConnectedFloatParams {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  float activation_min;
  float activation_max;
};

inline void FullyConnectedFloat(const FullyConnectedFloatParams& p, const float* input, const float* filter,
                                const float* bias, float* output) {
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* in = input + b * p.input_depth;
    for (int32_t c = 0; c < p.output_depth; ++c) {
      const float* weights = filter + c * p.input_depth;
      float total = 0.0f;
      for (int32_t d = 0; d < p.input_depth; ++d) {
        total += in[d] * weights[d];
      }
      const float bias_value = bias != nullptr ? bias[c] : 0.0f;
      output[b * p.output_depth + c] = ClampFloat(total + bias_value, p.activation_min, p.activation_max);
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_FLOAT_H_
