// RESIZE_NEAREST_NEIGHBOR as TFLM's reference: each output pixel is a copy of one input pixel (its `depth` values).
// Which input row and column each output row and column takes is TFLM's GetNearestNeighbor, evaluated by the
// generator (the same float arithmetic), so the device only copies.
#ifndef TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_
#define TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/resize.h"

template <typename T>
inline void ResizeNearestNeighbor(const ResizeParams& p, const T* input, T* output) {
  const ResizeShape& s = p.shape;
  const size_t run = sizeof(T) * static_cast<size_t>(s.depth);
  for (int32_t b = 0; b < s.batches; ++b) {
    const T* image = input + b * s.input_height * s.input_width * s.depth;
    for (int32_t y = 0; y < s.output_height; ++y) {
      const T* row = image + p.rows[y] * s.input_width * s.depth;
      for (int32_t x = 0; x < s.output_width; ++x) {
        memcpy(output, row + p.columns[x] * s.depth, run);
        output += s.depth;
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_RESIZE_NEAREST_NEIGHBOR_H_
