// MEAN and SUM, float32: the sum in the input's row-major order (MEAN: divided by a float count).
#ifndef TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_

#include <stdint.h>

#include "common/reduce.h"

struct MeanFloatParams {
  Reduction reduction;
  int32_t count;
};

struct SumFloatParams {
  Reduction reduction;
};

inline void MeanFloat(const MeanFloatParams& p, const float* input, float* output) {
  Reduce(p.reduction, input, 0.0f, Plus<float>,
         [&](int32_t i, float sum) { output[i] = sum / static_cast<float>(p.count); });
}

inline void SumFloat(const SumFloatParams& p, const float* input, float* output) {
  Reduce(p.reduction, input, 0.0f, Plus<float>, [&](int32_t i, float sum) { output[i] = sum; });
}

#endif  // TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_
