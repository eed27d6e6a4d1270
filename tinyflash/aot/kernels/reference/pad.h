// PAD over up to 4 dimensions: the output is the pad value everywhere, then each input row is copied into place.
#ifndef TINYFLASH_AOT_REFERENCE_PAD_H_
#define TINYFLASH_AOT_REFERENCE_PAD_H_

#include <stdint.h>
#include <string.h>

struct PadParams {
  int32_t input_shape[4];
  int32_t output_shape[4];
  int32_t before[4];
  int32_t pad_value;  // int8: the output zero point; float32 and int16: 0
};

template <typename T>
inline void Pad(const PadParams& p, const T* input, T* output) {
  const int32_t total = p.output_shape[0] * p.output_shape[1] * p.output_shape[2] * p.output_shape[3];
  for (int32_t i = 0; i < total; ++i) {
    output[i] = static_cast<T>(p.pad_value);
  }
  const int32_t row = p.input_shape[3];
  for (int32_t i0 = 0; i0 < p.input_shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < p.input_shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < p.input_shape[2]; ++i2) {
        const int32_t in = ((i0 * p.input_shape[1] + i1) * p.input_shape[2] + i2) * row;
        const int32_t out =
            (((i0 + p.before[0]) * p.output_shape[1] + i1 + p.before[1]) * p.output_shape[2] + i2 + p.before[2]) *
                p.output_shape[3] +
            p.before[3];
        memcpy(output + out, input + in, sizeof(T) * static_cast<size_t>(row));
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_PAD_H_
