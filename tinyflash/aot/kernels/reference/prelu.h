// PRELU, float32 and int8, the alpha tensor broadcast against the input as TFLM's BroadcastPrelu4DSlow does:
// x >= 0 ? x : x * alpha. int8 rescales the two branches with their own multipliers (in_scale / out_scale and
// in_scale * alpha_scale / out_scale, formed in double).
#ifndef TINYFLASH_AOT_REFERENCE_PRELU_H_
#define TINYFLASH_AOT_REFERENCE_PRELU_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"

struct PreluInt8Params {
  int32_t count;
  const Broadcast* broadcast;
  int32_t input_offset;
  int32_t alpha_offset;
  int32_t output_offset;
  int32_t identity_multiplier;
  int32_t identity_shift;
  int32_t alpha_multiplier;
  int32_t alpha_shift;
};

inline void PreluFloat(const BinaryParams& p, const float* input, const float* alpha, float* output) {
  BinaryOp(p.broadcast, p.count, input, alpha, output, [](float x, float a) { return x >= 0.0f ? x : x * a; });
}

inline void PreluInt8(const PreluInt8Params& p, const int8_t* input, const int8_t* alpha, int8_t* output) {
  BinaryOp(p.broadcast, p.count, input, alpha, output, [&](int8_t x, int8_t a) {
    const int32_t value = x + p.input_offset;
    const int32_t scaled =
        value >= 0 ? MultiplyByQuantizedMultiplier(value, p.identity_multiplier, p.identity_shift)
                   : MultiplyByQuantizedMultiplier(value * (a + p.alpha_offset), p.alpha_multiplier, p.alpha_shift);
    return static_cast<int8_t>(Clamp(scaled + p.output_offset, -128, 127));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_PRELU_H_
