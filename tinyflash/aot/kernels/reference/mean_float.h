// MEAN, float32: the sum in the input's row-major order divided by a float count.
#ifndef TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_

#include <stdint.h>

#include "common/reduce.h"

struct MeanFloatParams {
  Reduction reduction;
  int32_t count;
};

inline void MeanFloat(const MeanFloatParams& p, const float* input, float* output) {
  Reduce(p.reduction, input, 0.0f, [&](int32_t i, float sum) { output[i] = sum / static_cast<float>(p.count); });
}

#endif  // TINYFLASH_AOT_REFERENCE_MEAN_FLOAT_H_
