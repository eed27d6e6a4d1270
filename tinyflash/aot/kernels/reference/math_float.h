// ABS, NEG, SQRT, RSQRT, EXP, LOG, float32: TFLM's elementwise kernels, one libm call (or none) per element.
#ifndef TINYFLASH_AOT_REFERENCE_MATH_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_MATH_FLOAT_H_

#include <math.h>
#include <stdint.h>

#include "common/elementwise.h"

inline void AbsFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = fabsf(input[i]);
}

inline void NegFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = -input[i];
}

inline void SqrtFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = sqrtf(input[i]);
}

inline void RsqrtFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = 1.0f / sqrtf(input[i]);
}

inline void ExpFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = expf(input[i]);
}

inline void LogFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) output[i] = logf(input[i]);
}

#endif  // TINYFLASH_AOT_REFERENCE_MATH_FLOAT_H_
