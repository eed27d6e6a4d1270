// TANH, int16 (TFLM's reference_integer_ops::Tanh): zero points 0, output scale 1/32768.
#ifndef TINYFLASH_AOT_REFERENCE_TANH_INT16_H_
#define TINYFLASH_AOT_REFERENCE_TANH_INT16_H_

#include <stdint.h>

#include "common/sigmoid_int16.h"

inline void TanhInt16(const SigmoidInt16Params& p, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = TanhInt16(input[i], p.multiplier, p.shift);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_TANH_INT16_H_
