// ARG_MAX, float32 and int8 input, int32 output (what TFLM's kernel takes): the first index of the largest value
// along one axis. float follows TFLM's NaN-aware comparison: a NaN never wins, a number replaces a NaN.
#ifndef TINYFLASH_AOT_REFERENCE_ARG_MAX_H_
#define TINYFLASH_AOT_REFERENCE_ARG_MAX_H_

#include <math.h>
#include <stdint.h>

struct ArgMaxParams {
  int32_t outer;
  int32_t axis_size;
  int32_t inner;
};

inline bool ArgMaxBeats(float candidate, float current) {
  return !isnan(candidate) && (isnan(current) || candidate > current);
}

inline bool ArgMaxBeats(int8_t candidate, int8_t current) { return candidate > current; }

template <typename T>
inline void ArgMax(const ArgMaxParams& p, const T* input, int32_t* output) {
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < p.inner; ++i) {
      const T* base = input + o * p.axis_size * p.inner + i;
      T max = base[0];
      int32_t index = 0;
      for (int32_t a = 1; a < p.axis_size; ++a) {
        if (ArgMaxBeats(base[a * p.inner], max)) {
          max = base[a * p.inner];
          index = a;
        }
      }
      output[o * p.inner + i] = index;
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_ARG_MAX_H_
