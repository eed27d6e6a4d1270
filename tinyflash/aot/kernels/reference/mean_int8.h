// MEAN and SUM, int8 and int16 (TFLM's QuantizedMeanOrSum): the sum of raw values, less count * zero point, rescaled by
// input_scale / output_scale; MEAN folds 1/count into that multiplier.
#ifndef TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_
#define TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/reduce.h"

struct MeanOrSumInt8Params {
  Reduction reduction;
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

// T: int8 or int16, summed in int32 (QuantizedMeanOrSumExtraArgs<T, int32_t>).
template <typename T>
inline void MeanOrSumQuantized(const MeanOrSumInt8Params& p, const T* input, T* output) {
  Reduce(p.reduction, input, int32_t{0}, Plus<int32_t>, [&](int32_t i, int32_t sum) {
    const int32_t centered = sum - p.input_zero_point * p.count;
    const int32_t value = MultiplyByQuantizedMultiplier(centered, p.multiplier, p.shift) + p.output_zero_point;
    output[i] = static_cast<T>(Clamp(value, IntRange<T>::kMin, IntRange<T>::kMax));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_MEAN_INT8_H_
