// MEAN, int8: the sum of raw values, less count * zero point, scaled by input_scale / (output_scale * count);
// the 1/count factor is folded into the multiplier (TFLM's QuantizedMeanOrSum).
#ifndef TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_
#define TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/reduce.h"

struct MeanInt8Params {
  Reduction reduction;
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

inline void MeanInt8(const MeanInt8Params& p, const int8_t* input, int8_t* output) {
  Reduce(p.reduction, input, int32_t{0}, [&](int32_t i, int32_t sum) {
    const int32_t centered = sum - p.input_zero_point * p.count;
    const int32_t value = MultiplyByQuantizedMultiplier(centered, p.multiplier, p.shift) + p.output_zero_point;
    output[i] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_
