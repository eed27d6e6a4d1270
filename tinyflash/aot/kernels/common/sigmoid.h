// Parameters of int8 LOGISTIC / TANH: (q - zero_point) rescaled into Q4; beyond +-radius the output
// saturates.
#ifndef TINYFLASH_AOT_COMMON_SIGMOID_H_
#define TINYFLASH_AOT_COMMON_SIGMOID_H_

#include <stdint.h>

struct SigmoidInt8Params {
  int32_t count;
  int32_t zero_point;
  int32_t multiplier;
  int32_t left_shift;
  int32_t radius;
};

#endif  // TINYFLASH_AOT_COMMON_SIGMOID_H_
