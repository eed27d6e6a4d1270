// LOGISTIC, int8. Output scale 1/256, zero point -128 (TFLM ignores the output tensor's quantization).
#ifndef TINYFLASH_AOT_REFERENCE_LOGISTIC_INT8_H_
#define TINYFLASH_AOT_REFERENCE_LOGISTIC_INT8_H_

#include <stdint.h>

#include "common/fixedpoint_math.h"
#include "common/sigmoid.h"

inline void LogisticInt8(const SigmoidInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t x = input[i] - p.zero_point;
    if (x <= -p.radius) {
      output[i] = INT8_MIN;
    } else if (x >= p.radius) {
      output[i] = INT8_MAX;
    } else {
      const int32_t a = MultiplyByQuantizedMultiplier(x, p.multiplier, p.left_shift);  // Q4
      const int32_t abs_a = a > 0 ? a : -a;
      const int32_t positive = OneOverOnePlusX(ExpOnNegativeValues(-abs_a, 4));  // logistic(|a|), Q0
      const int32_t q0 = a == 0 ? (INT32_C(1) << 30) : (a > 0 ? positive : INT32_MAX - positive);
      output[i] = static_cast<int8_t>(Clamp(RoundingDivideByPOT(q0, 23) - 128, INT8_MIN, INT8_MAX));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_LOGISTIC_INT8_H_
