// TANH, float32.
#ifndef TINYFLASH_AOT_REFERENCE_TANH_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_TANH_FLOAT_H_

#include <math.h>
#include <stdint.h>

#include "common/elementwise.h"

inline void TanhFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = tanhf(input[i]);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_TANH_FLOAT_H_
