// Clamps in the input's quantized domain (TFLM's int8 RELU6 does not requantize).
#ifndef TINYFLASH_AOT_REFERENCE_CLAMP_INT8_H_
#define TINYFLASH_AOT_REFERENCE_CLAMP_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct ClampInt8Params {
  int32_t count;
  int32_t min;
  int32_t max;
};

inline void ClampInt8(const ClampInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = static_cast<int8_t>(Clamp(input[i], p.min, p.max));
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_CLAMP_INT8_H_
