// RELU / RELU6, float32.
#ifndef TINYFLASH_AOT_REFERENCE_CLAMP_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_CLAMP_FLOAT_H_

#include <stdint.h>

struct ClampFloatParams {
  int32_t count;
  float min;
  float max;
};

inline void ClampFloatArray(const ClampFloatParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const float x = input[i];
    output[i] = x > p.max ? p.max : (x < p.min ? p.min : x);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_CLAMP_FLOAT_H_
