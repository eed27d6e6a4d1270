// A reduction over up to 4 dimensions: `outer` are the kept dimensions, `inner` the reduced ones, both in
// the input's dimension order (so sums run in the input's row-major order, as TFLM's).
#ifndef TINYFLASH_AOT_COMMON_REDUCE_H_
#define TINYFLASH_AOT_COMMON_REDUCE_H_

#include <stdint.h>

struct Reduction {
  int32_t outer[4];
  int32_t outer_stride[4];
  int32_t inner[4];
  int32_t inner_stride[4];
};

// store(output index, combine(...combine(init, x0)..., xn)) for each kept position.
template <typename T, typename Acc, typename Combine, typename Store>
inline void Reduce(const Reduction& r, const T* input, Acc init, Combine combine, Store store) {
  int32_t out_index = 0;
  for (int32_t o0 = 0; o0 < r.outer[0]; ++o0) {
    for (int32_t o1 = 0; o1 < r.outer[1]; ++o1) {
      for (int32_t o2 = 0; o2 < r.outer[2]; ++o2) {
        for (int32_t o3 = 0; o3 < r.outer[3]; ++o3) {
          const T* base =
              input + o0 * r.outer_stride[0] + o1 * r.outer_stride[1] + o2 * r.outer_stride[2] + o3 * r.outer_stride[3];
          Acc acc = init;
          for (int32_t i0 = 0; i0 < r.inner[0]; ++i0) {
            for (int32_t i1 = 0; i1 < r.inner[1]; ++i1) {
              for (int32_t i2 = 0; i2 < r.inner[2]; ++i2) {
                for (int32_t i3 = 0; i3 < r.inner[3]; ++i3) {
                  acc = combine(acc, base[i0 * r.inner_stride[0] + i1 * r.inner_stride[1] + i2 * r.inner_stride[2] +
                                          i3 * r.inner_stride[3]]);
                }
              }
            }
          }
          store(out_index++, acc);
        }
      }
    }
  }
}

template <typename Acc>
inline Acc Plus(Acc a, Acc b) {
  return a + b;
}

#endif  // TINYFLASH_AOT_COMMON_REDUCE_H_
