// REDUCE_MAX, float32 and int8 (raw values: TFLM requires the input's quantization on the output), starting from
// the type's lowest value and keeping `x > max ? x : max` (a NaN never replaces the maximum), as TFLM's reducer.
#ifndef TINYFLASH_AOT_REFERENCE_REDUCE_MAX_H_
#define TINYFLASH_AOT_REFERENCE_REDUCE_MAX_H_

#include <stdint.h>

#include "common/float_limits.h"
#include "common/reduce.h"

struct ReduceMaxParams {
  Reduction reduction;
};

template <typename T>
inline T Greater(T current, T x) {
  return x > current ? x : current;
}

inline void ReduceMaxFloat(const ReduceMaxParams& p, const float* input, float* output) {
  Reduce(p.reduction, input, kFloatLowest, Greater<float>, [&](int32_t i, float max) { output[i] = max; });
}

inline void ReduceMaxInt8(const ReduceMaxParams& p, const int8_t* input, int8_t* output) {
  Reduce(p.reduction, input, static_cast<int8_t>(INT8_MIN), Greater<int8_t>,
         [&](int32_t i, int8_t max) { output[i] = max; });
}

#endif  // TINYFLASH_AOT_REFERENCE_REDUCE_MAX_H_
