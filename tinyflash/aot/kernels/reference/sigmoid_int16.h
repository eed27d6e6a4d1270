// LOGISTIC and TANH, int16 (TFLM's reference_integer_ops::Logistic and ::Tanh): zero points 0, output scale 1/32768.
// One loop for both, instantiated with SigmoidInt16 or TanhInt16.
#ifndef TINYFLASH_AOT_REFERENCE_SIGMOID_INT16_H_
#define TINYFLASH_AOT_REFERENCE_SIGMOID_INT16_H_

#include <stdint.h>

#include "common/sigmoid_int16.h"

// The input rescaling: (x * multiplier) >> shift, rounded, is x read as Q3.12 times 3.
struct SigmoidInt16Params {
  int32_t count;
  int32_t multiplier;
  int32_t shift;
};

template <int16_t (*Activation)(int16_t, int32_t, int32_t)>
inline void ApplyInt16(const SigmoidInt16Params& p, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = Activation(input[i], p.multiplier, p.shift);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SIGMOID_INT16_H_
