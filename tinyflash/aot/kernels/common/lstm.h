// What TFLM's float and integer LSTM kernels (lstm_eval.h) share: the shape, and the walk over time steps. Time major,
// each step computes every batch at once; batch major, each batch runs all its steps before the next batch starts,
// with its own rows of the hidden and cell state (LstmStepManager).
#ifndef TINYFLASH_AOT_COMMON_LSTM_H_
#define TINYFLASH_AOT_COMMON_LSTM_H_

#include <stdint.h>

struct LstmShape {
  int32_t batches;
  int32_t steps;
  int32_t input_size;
  int32_t units;  // the state dimension: hidden state, cell state and output per batch and step
  bool time_major;
};

// Calls step(rows, input offset, state offset, output offset) for each step in TFLM's order.
template <typename Step>
inline void LstmForEachStep(const LstmShape& s, Step step) {
  if (s.time_major) {
    for (int32_t t = 0; t < s.steps; ++t) {
      step(s.batches, t * s.batches * s.input_size, 0, t * s.batches * s.units);
    }
    return;
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    for (int32_t t = 0; t < s.steps; ++t) {
      const int32_t row = b * s.steps + t;
      step(1, row * s.input_size, b * s.units, row * s.units);
    }
  }
}

#endif  // TINYFLASH_AOT_COMMON_LSTM_H_
