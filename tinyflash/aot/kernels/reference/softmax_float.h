// SOFTMAX and LOG_SOFTMAX, float32, along the last dimension, as TFLM's reference kernels.
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

// LOG_SOFTMAX has no beta (TFLM ignores it).
struct LogSoftmaxFloatParams {
  int32_t rows;
  int32_t depth;
};

// fn(row input, row output, row maximum) for each row.
template <typename Fn>
inline void ForEachRow(int32_t rows, int32_t depth, const float* input, float* output, Fn fn) {
  for (int32_t r = 0; r < rows; ++r) {
    const float* in = input + r * depth;
    float max = kFloatLowest;
    for (int32_t c = 0; c < depth; ++c) {
      max = in[c] > max ? in[c] : max;
    }
    fn(in, output + r * depth, max);
  }
}

inline void SoftmaxFloat(const SoftmaxFloatParams& p, const float* input, float* output) {
  ForEachRow(p.rows, p.depth, input, output, [&](const float* in, float* out, float max) {
    float sum = 0.0f;
    for (int32_t c = 0; c < p.depth; ++c) {
      out[c] = expf((in[c] - max) * p.beta);
      sum += out[c];
    }
    for (int32_t c = 0; c < p.depth; ++c) {
      out[c] = out[c] / sum;
    }
  });
}

// x - max - logf(sum of expf(x - max)), in that order.
inline void LogSoftmaxFloat(const LogSoftmaxFloatParams& p, const float* input, float* output) {
  ForEachRow(p.rows, p.depth, input, output, [&](const float* in, float* out, float max) {
    float sum = 0.0f;
    for (int32_t c = 0; c < p.depth; ++c) {
      sum += expf(in[c] - max);
    }
    const float log_sum = logf(sum);
    for (int32_t c = 0; c < p.depth; ++c) {
      out[c] = in[c] - max - log_sum;
    }
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_SOFTMAX_FLOAT_H_
