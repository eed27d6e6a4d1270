// Parameters of AVERAGE_POOL_2D and MAX_POOL_2D: the window and the fused activation's bounds.
#ifndef TINYFLASH_AOT_COMMON_POOL_H_
#define TINYFLASH_AOT_COMMON_POOL_H_

#include <stdint.h>

#include "common/window.h"

struct PoolInt8Params {
  Window window;
  int32_t activation_min;
  int32_t activation_max;
};

struct PoolFloatParams {
  Window window;
  float activation_min;
  float activation_max;
};

// The part of the filter inside the input for a window origin: [start, end).
inline void PoolRange(int32_t origin, int32_t filter, int32_t size, int32_t* start, int32_t* end) {
  const int32_t room = size - origin;
  *start = origin < 0 ? -origin : 0;
  *end = filter < room ? filter : room;
}

#endif  // TINYFLASH_AOT_COMMON_POOL_H_
