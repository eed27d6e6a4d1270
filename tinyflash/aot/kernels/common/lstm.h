// What TFLM's float and integer LSTM kernels (lstm_eval.h) share: the shape, and the order of the steps and of the
// work in each. Time major, each step computes every batch at once; batch major, each batch runs all its steps before
// the next batch starts, with its own rows of the hidden and cell state (LstmStepManager).
#ifndef TINYFLASH_AOT_COMMON_LSTM_H_
#define TINYFLASH_AOT_COMMON_LSTM_H_

#include <stdint.h>
#include <string.h>

struct LstmShape {
  int32_t batches;
  int32_t steps;
  int32_t input_size;
  int32_t units;  // the state dimension: hidden state, cell state and output per batch and step
  bool time_major;
};

// TFLM's gates in the order it computes them (the gate callback's first argument).
enum LstmGate { kLstmForget, kLstmInput, kLstmCell, kLstmOutput };

// TFLM's EvalLstm and LstmStep for either arithmetic. Each step: gate(which, rows, x, hidden, out, fc_scratch) for
// the forget, input and cell gates; update_cell(count, forget, input_gate, cell_gate, cell), which may overwrite the
// input gate's buffer; the output gate (from the same hidden state) into that buffer;
// update_hidden(count, cell, output_gate, tanh_scratch, hidden); then the hidden state copied to the output.
// scratch: TFLM's four buffers of batches x units cell values.
template <typename Activation, typename Cell, typename Gate, typename UpdateCell, typename UpdateHidden>
inline void LstmEval(const LstmShape& s, const Activation* input, Activation* hidden_state, Cell* cell_state,
                     Cell* scratch, Activation* output, Gate gate, UpdateCell update_cell, UpdateHidden update_hidden) {
  const int32_t size = s.batches * s.units;
  Cell* forget = scratch;
  Cell* in_gate = scratch + size;
  Cell* cell_gate = scratch + 2 * size;
  Cell* fc_scratch = scratch + 3 * size;
  auto step = [&](int32_t rows, int32_t input_at, int32_t state_at, int32_t output_at) {
    const Activation* x = input + input_at;
    Activation* hidden = hidden_state + state_at;
    Cell* cell = cell_state + state_at;
    const int32_t count = rows * s.units;
    gate(kLstmForget, rows, x, hidden, forget, fc_scratch);
    gate(kLstmInput, rows, x, hidden, in_gate, fc_scratch);
    gate(kLstmCell, rows, x, hidden, cell_gate, fc_scratch);
    update_cell(count, forget, in_gate, cell_gate, cell);
    gate(kLstmOutput, rows, x, hidden, in_gate, fc_scratch);
    update_hidden(count, cell, in_gate, forget, hidden);
    memcpy(output + output_at, hidden, count * sizeof(Activation));
  };
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
