// What the resizing kernels share: the NHWC shapes they map between, and which input rows and columns each output
// row and column reads (tables the generator computes with TFLM's arithmetic).
#ifndef TINYFLASH_AOT_COMMON_RESIZE_H_
#define TINYFLASH_AOT_COMMON_RESIZE_H_

#include <stdint.h>

struct ResizeShape {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t depth;
  int32_t output_height;
  int32_t output_width;
};

struct ResizeParams {
  ResizeShape shape;
  const int32_t* rows;     // per output row: its input row (nearest), or the two around its position (bilinear)
  const int32_t* columns;  // the same per output column
};

#endif  // TINYFLASH_AOT_COMMON_RESIZE_H_
