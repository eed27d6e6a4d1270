// What TFLM's float and integer SVDF kernels (svdf_common.cc) share: the shape, the state's shift, the feature and
// time weights' dot products and the sums over the rank, in TFLM's order; the kernels differ in how they store them.
#ifndef TINYFLASH_AOT_COMMON_SVDF_H_
#define TINYFLASH_AOT_COMMON_SVDF_H_

#include <stdint.h>

struct SvdfShape {
  int32_t batches;
  int32_t input_size;
  int32_t filters;  // units x rank
  int32_t units;
  int32_t rank;
  int32_t memory;  // values of history per filter
};

// The state (batches x filters x memory) moves one value left; the caller then writes each filter's newest value
// at the end of its memory (SvdfNewest).
template <typename T>
inline void SvdfShiftState(const SvdfShape& s, T* state) {
  const int32_t size = s.batches * s.filters * s.memory;
  for (int32_t i = 0; i + 1 < size; ++i) {
    state[i] = state[i + 1];
  }
}

template <typename T>
inline T& SvdfNewest(const SvdfShape& s, T* state, int32_t batch, int32_t filter) {
  return state[(batch * s.filters + filter) * s.memory + s.memory - 1];
}

// store(b, f, dot): the feature weights' dot product of filter f with batch b's input (less its zero point).
template <typename In, typename Acc, typename Store>
inline void SvdfFeatureDots(const SvdfShape& s, const In* input, const In* weights_feature, int32_t zero_point,
                            Store store) {
  for (int32_t b = 0; b < s.batches; ++b) {
    const In* weights = weights_feature;
    for (int32_t f = 0; f < s.filters; ++f) {
      const In* in = input + b * s.input_size;
      Acc dot = 0;
      for (int32_t k = 0; k < s.input_size; ++k) {
        dot += *weights++ * (*in++ - zero_point);
      }
      store(b, f, dot);
    }
  }
}

// scratch[b][f] = sum over m of time[f][m] * (state[b][f][m] - zero_point); Acc: float or int32_t.
template <typename T, typename Acc>
inline void SvdfTimeDots(const SvdfShape& s, const T* weights_time, const T* state, int32_t zero_point, Acc* scratch) {
  for (int32_t b = 0; b < s.batches; ++b) {
    const T* time = weights_time;
    const T* history = state + b * s.memory * s.filters;
    for (int32_t f = 0; f < s.filters; ++f) {
      Acc dot = 0;
      for (int32_t m = 0; m < s.memory; ++m) {
        dot += *time++ * (*history++ - zero_point);
      }
      scratch[b * s.filters + f] = dot;
    }
  }
}

// store(b * units + u, bias[u] + the rank's filters' dot products), summed in TFLM's order.
template <typename Acc, typename Store>
inline void SvdfRankSums(const SvdfShape& s, const Acc* scratch, const Acc* bias, Store store) {
  for (int32_t b = 0; b < s.batches; ++b) {
    const Acc* filtered = scratch + b * s.filters;
    for (int32_t u = 0; u < s.units; ++u) {
      Acc total = bias[u];
      for (int32_t r = 0; r < s.rank; ++r) {
        total += *filtered++;
      }
      store(b * s.units + u, total);
    }
  }
}

#endif  // TINYFLASH_AOT_COMMON_SVDF_H_
