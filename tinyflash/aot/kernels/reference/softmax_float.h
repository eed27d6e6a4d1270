// SOFTMAX, float32.
#ifndef TINYFLASH_AOT_REFERENCE_SOFTMAX_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_SOFTMAX_FLOAT_H_

#include <math.h>
#include <stdint.h>

#include "common/float_limits.h"

struct SoftmaxFloatParams {
  int32_t rows;
  int32_t depth;
  float beta;
};

inline void SoftmaxFloat(const SoftmaxFloatParams& p, const float* input, float* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const float* in = input + r * p.depth;
    float* out = output + r * p.depth;
    float max = kFloatLowest;
    for (int32_t c = 0; c < p.depth; ++c) {
      max = in[c] > max ? in[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < p.depth; ++c) {
      out[c] = expf((in[c] - max) * p.beta);
      sum += out[c];
    }
    for (int32_t c = 0; c < p.depth; ++c) {
      out[c] = out[c] / sum;
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SOFTMAX_FLOAT_H_
