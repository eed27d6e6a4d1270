// LOGISTIC, int16 (TFLM's reference_integer_ops::Logistic): zero points 0, output scale 1/32768.
#ifndef TINYFLASH_AOT_REFERENCE_LOGISTIC_INT16_H_
#define TINYFLASH_AOT_REFERENCE_LOGISTIC_INT16_H_

#include <stdint.h>

#include "common/sigmoid_int16.h"

inline void LogisticInt16(const SigmoidInt16Params& p, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = SigmoidInt16(input[i], p.multiplier, p.shift);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_LOGISTIC_INT16_H_
