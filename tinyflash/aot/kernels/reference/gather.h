// GATHER along one axis, with TFLM's batch dimensions: output[b][o][c] = input[b][o][coords[b][c]] (each a run of
// `inner` elements). TFLM reads out of bounds for an index outside the axis; here that run is zeros.
#ifndef TINYFLASH_AOT_REFERENCE_GATHER_H_
#define TINYFLASH_AOT_REFERENCE_GATHER_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct GatherParams {
  int32_t batches;
  int32_t outer;
  int32_t axis_size;
  int32_t coords;  // per batch
  int32_t inner;
};

template <typename T>
inline void Gather(const GatherParams& p, const T* input, const int32_t* coords, T* output) {
  const size_t run = sizeof(T) * static_cast<size_t>(p.inner);
  for (int32_t b = 0; b < p.batches; ++b) {
    for (int32_t o = 0; o < p.outer; ++o) {
      const T* rows = input + (b * p.outer + o) * p.axis_size * p.inner;
      for (int32_t c = 0; c < p.coords; ++c) {
        const int32_t at = coords[b * p.coords + c];
        T* to = output + ((b * p.outer + o) * p.coords + c) * p.inner;
        if (at < 0 || at >= p.axis_size) {
          memset(to, 0, run);
        } else {
          memcpy(to, rows + at * p.inner, run);
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_GATHER_H_
