// TANH, int8. Output scale 1/128, zero point 0 (TFLM ignores the output tensor's quantization).
#ifndef TINYFLASH_AOT_REFERENCE_TANH_INT8_H_
#define TINYFLASH_AOT_REFERENCE_TANH_INT8_H_

#include <stdint.h>

#include "common/fixedpoint_math.h"
#include "common/sigmoid.h"

// (1 - a) / (1 + a) for a (Q0) in (0, 1); result Q0.
inline int32_t OneMinusXOverOnePlusX(int32_t a) {
  const int32_t x = NewtonReciprocalHalfDenominator(RoundingHalfSum(a, INT32_MAX));
  return Rescale(x - (INT32_C(1) << 29), 2, 0);
}

inline void TanhInt8(const SigmoidInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t x = input[i] - p.zero_point;
    if (x <= -p.radius) {
      output[i] = INT8_MIN;
    } else if (x >= p.radius) {
      output[i] = INT8_MAX;
    } else {
      const int32_t a = MultiplyByQuantizedMultiplier(x, p.multiplier, p.left_shift);  // Q4
      const int32_t negative_abs = a < 0 ? a : -a;
      // tanh(|a|) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)); -2|a| reads as Q5 with the same raw bits.
      const int32_t t = OneMinusXOverOnePlusX(ExpOnNegativeValues(negative_abs, 5));
      const int32_t q0 = a == 0 ? 0 : (a < 0 ? -t : t);
      output[i] = static_cast<int8_t>(Clamp(RoundingDivideByPOT(q0, 24), INT8_MIN, INT8_MAX));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_TANH_INT8_H_
