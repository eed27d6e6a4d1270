// CAST between int8, int16, int32 and float32: static_cast per element, as TFLM does (float to integer
// truncates toward zero; integers narrow modulo 2^n; the tensors' quantization plays no part).
#ifndef TINYFLASH_AOT_REFERENCE_CAST_H_
#define TINYFLASH_AOT_REFERENCE_CAST_H_

#include <stdint.h>

struct CastParams {
  int32_t count;
};

template <typename From, typename To>
inline void Cast(const CastParams& p, const From* input, To* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    output[i] = static_cast<To>(input[i]);
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_CAST_H_
