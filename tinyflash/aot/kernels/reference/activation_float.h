// LEAKY_RELU and HARD_SWISH, float32, as TFLM's reference kernels compute them.
#ifndef TINYFLASH_AOT_REFERENCE_ACTIVATION_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_ACTIVATION_FLOAT_H_

#include <stdint.h>

#include "common/elementwise.h"

struct LeakyReluFloatParams {
  int32_t count;
  float alpha;
};

// alpha may be above 1 or negative, so this is not max(x, alpha * x).
inline void LeakyReluFloat(const LeakyReluFloatParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const float x = input[i];
    output[i] = x > 0.0f ? x : x * p.alpha;
  }
}

// x * min(6, max(0, x + 3)) / 6, in that order.
inline void HardSwishFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const float x = input[i];
    const float relu = 0.0f < x + 3.0f ? x + 3.0f : 0.0f;  // std::max(0, x + 3), NaN included
    output[i] = x * (relu < 6.0f ? relu : 6.0f) / 6.0f;
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_ACTIVATION_FLOAT_H_
