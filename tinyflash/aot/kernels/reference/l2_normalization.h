// L2_NORMALIZATION along the last dimension, as TFLM's reference kernels. float32: the sum of squares in order,
// sqrtf, at least 1e-6, each value divided by it. int8: the integer sum of squares of q - zero point, its inverse
// square root in fixed point (InvSqrtMultiplier), each value rescaled onto TFLM's fixed output scale 1/128 and zero
// point 0 (TFLM ignores the output tensor's quantization, and so does this kernel).
#ifndef TINYFLASH_AOT_REFERENCE_L2_NORMALIZATION_H_
#define TINYFLASH_AOT_REFERENCE_L2_NORMALIZATION_H_

#include <math.h>
#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/fixedpoint_math.h"

struct L2NormalizationParams {
  int32_t rows;
  int32_t depth;
  int32_t input_zero_point;
};

// In int32 as TFLM: exact for up to 33,025 values of at most 255^2 each (the generator refuses longer rows).
inline int32_t SumOfSquaresInt8(const int8_t* row, int32_t depth, int32_t zero_point) {
  int32_t squares = 0;
  for (int32_t c = 0; c < depth; ++c) {
    const int32_t value = row[c] - zero_point;
    squares += value * value;
  }
  return squares;
}

inline void L2NormalizationFloat(const L2NormalizationParams& p, const float* input, float* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const float* row = input + r * p.depth;
    float squares = 0.0f;
    for (int32_t c = 0; c < p.depth; ++c) squares += row[c] * row[c];
    const float norm = sqrtf(squares);
    const float divisor = norm < 1e-6f ? 1e-6f : norm;  // std::max(norm, epsilon)
    for (int32_t c = 0; c < p.depth; ++c) output[r * p.depth + c] = row[c] / divisor;
  }
}

inline void L2NormalizationInt8(const L2NormalizationParams& p, const int8_t* input, int8_t* output) {
  const int kOutputScale = 7;  // 1/128
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* row = input + r * p.depth;
    int32_t inv_norm;
    int inv_norm_shift;
    InvSqrtMultiplier(SumOfSquaresInt8(row, p.depth, p.input_zero_point), &inv_norm, &inv_norm_shift);
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t value =
          MultiplyByQuantizedMultiplier(row[c] - p.input_zero_point, inv_norm, inv_norm_shift + kOutputScale);
      output[r * p.depth + c] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_L2_NORMALIZATION_H_
