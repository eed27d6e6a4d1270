// Data movement as strided copies (STRIDED_SLICE, SLICE, TRANSPOSE, PACK, UNPACK, SPLIT, SPLIT_V): for every
// index i of `shape`, output[output_offset + i . output_strides] = input[input_offset + i . input_strides], in
// elements. The generator merges the dimensions that are contiguous on both sides first, so a slice of whole
// rows is a few memcpy calls; strides may be negative (a reversed slice).
#ifndef TINYFLASH_AOT_REFERENCE_STRIDED_COPY_H_
#define TINYFLASH_AOT_REFERENCE_STRIDED_COPY_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct StridedCopyParams {
  int32_t shape[6];
  int32_t input_strides[6];
  int32_t output_strides[6];
  int32_t input_offset;
  int32_t output_offset;
};

template <typename T>
inline void StridedCopyRow(const StridedCopyParams& p, const T* input, T* output) {
  if (p.input_strides[5] == 1 && p.output_strides[5] == 1) {
    memcpy(output, input, sizeof(T) * static_cast<size_t>(p.shape[5]));
    return;
  }
  for (int32_t i = 0; i < p.shape[5]; ++i) {
    output[i * p.output_strides[5]] = input[i * p.input_strides[5]];
  }
}

template <typename T>
inline void StridedCopy(const StridedCopyParams& p, const T* input, T* output) {
  const int32_t* in = p.input_strides;
  const int32_t* out = p.output_strides;
  for (int32_t i0 = 0; i0 < p.shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < p.shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < p.shape[2]; ++i2) {
        for (int32_t i3 = 0; i3 < p.shape[3]; ++i3) {
          for (int32_t i4 = 0; i4 < p.shape[4]; ++i4) {
            const int32_t from = p.input_offset + i0 * in[0] + i1 * in[1] + i2 * in[2] + i3 * in[3] + i4 * in[4];
            const int32_t to = p.output_offset + i0 * out[0] + i1 * out[1] + i2 * out[2] + i3 * out[3] + i4 * out[4];
            StridedCopyRow(p, input + from, output + to);
          }
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_STRIDED_COPY_H_
