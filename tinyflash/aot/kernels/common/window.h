// Geometry of a sliding-window op over NHWC tensors (convolutions and pooling).
#ifndef TINYFLASH_AOT_COMMON_WINDOW_H_
#define TINYFLASH_AOT_COMMON_WINDOW_H_

#include <stdint.h>

struct Window {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
};

#endif  // TINYFLASH_AOT_COMMON_WINDOW_H_
