// LOGISTIC, float32, with TFLM's cut-offs.
#ifndef TINYFLASH_AOT_REFERENCE_LOGISTIC_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_LOGISTIC_FLOAT_H_

#include <math.h>
#include <stdint.h>

#include "common/elementwise.h"

inline void LogisticFloat(const ElementwiseParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const float x = input[i];
    if (x > 16.619047164916992188f) {
      output[i] = 1.0f;
    } else if (x < -9.0f) {
      output[i] = expf(x);
    } else {
      output[i] = 1.0f / (1.0f + expf(-x));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_LOGISTIC_FLOAT_H_
