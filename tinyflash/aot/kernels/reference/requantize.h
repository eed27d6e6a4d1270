// QUANTIZE between int8, int16 and int32 (TFLM's Requantize): (q - input zero point) rescaled, plus the output zero
// point, clamped to the output type.
#ifndef TINYFLASH_AOT_REFERENCE_REQUANTIZE_H_
#define TINYFLASH_AOT_REFERENCE_REQUANTIZE_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct RequantizeParams {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

template <typename In, typename Out>
inline void Requantize(const RequantizeParams& p, const In* input, Out* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t value =
        MultiplyByQuantizedMultiplier(input[i] - p.input_zero_point, p.multiplier, p.shift) + p.output_zero_point;
    output[i] = static_cast<Out>(Clamp(value, IntRange<Out>::kMin, IntRange<Out>::kMax));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_REQUANTIZE_H_
