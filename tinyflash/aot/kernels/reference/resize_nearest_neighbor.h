// RESIZE_NEAREST_NEIGHBOR as TFLM's reference: each output pixel is a copy of one input pixel (its `depth` values).
// Which input row and column each output row and column takes is TFLM's GetNearestNeighbor, evaluated by the
// generator (the same float arithmetic), so the device only copies.
#ifndef TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_
#define TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ResizeNearestNeighborParams {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t depth;
  int32_t output_height;
  int32_t output_width;
  const int32_t* rows;     // input row of each output row
  const int32_t* columns;  // input column of each output column
};

template <typename T>
inline void ResizeNearestNeighbor(const ResizeNearestNeighborParams& p, const T* input, T* output) {
  const size_t run = sizeof(T) * static_cast<size_t>(p.depth);
  for (int32_t b = 0; b < p.batches; ++b) {
    const T* image = input + b * p.input_height * p.input_width * p.depth;
    for (int32_t y = 0; y < p.output_height; ++y) {
      const T* row = image + p.rows[y] * p.input_width * p.depth;
      for (int32_t x = 0; x < p.output_width; ++x) {
        memcpy(output, row + p.columns[x] * p.depth, run);
        output += p.depth;
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_
