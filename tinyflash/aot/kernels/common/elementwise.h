// Parameters of float elementwise kernels that need nothing but the element count.
#ifndef TINYFLASH_AOT_COMMON_ELEMENTWISE_H_
#define TINYFLASH_AOT_COMMON_ELEMENTWISE_H_

#include <stdint.h>

struct ElementwiseParams {
  int32_t count;
};

#endif  // TINYFLASH_AOT_COMMON_ELEMENTWISE_H_
