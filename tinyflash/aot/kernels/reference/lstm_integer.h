// UNIDIRECTIONAL_SEQUENCE_LSTM, integer: TFLM's kernel (EvalLstm) for int8 activations with int32 biases ("8x8->16")
// and int16 activations with int64 biases ("16x8->16"), int8 weights and an int16 cell state. Each gate's two fully
// connected layers write Q3.12 (scale 2^-12), its sigmoid or tanh Q0.15; the products go to the cell state's scale and
// to the hidden state's. The hidden and cell state (batches x units each, variable tensors) are kept by the caller
// between invocations.
#ifndef TINYFLASH_AOT_REFERENCE_LSTM_INTEGER_H_
#define TINYFLASH_AOT_REFERENCE_LSTM_INTEGER_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/lstm.h"
#include "common/sigmoid_int16.h"

// One gate's weights (symmetric int8) and the multipliers of its two fully connected layers into Q3.12.
struct LstmGateInteger {
  const int8_t* input_weights;      // units x input_size
  const int8_t* recurrent_weights;  // units x units
  const void* bias;                 // units: int32_t for int8 activations, int64_t for int16
  int32_t input_multiplier;         // input scale x input weights scale / 2^-12
  int32_t input_shift;
  int32_t recurrent_multiplier;  // hidden state scale x recurrent weights scale / 2^-12
  int32_t recurrent_shift;
};

struct LstmIntegerParams {
  LstmShape shape;
  LstmGateInteger forget;
  LstmGateInteger input;
  LstmGateInteger cell;
  LstmGateInteger output;
  int32_t input_offset;   // -input zero point
  int32_t hidden_offset;  // -hidden state zero point
  int32_t hidden_zero_point;
  int32_t forget_multiplier;  // forget gate (2^-15) x cell state -> cell state
  int32_t forget_shift;
  int32_t update_multiplier;  // input gate (2^-15) x cell gate (2^-15) -> cell state
  int32_t update_shift;
  int32_t hidden_multiplier;  // tanh(cell state) (2^-15) x output gate (2^-15) -> hidden state
  int32_t hidden_shift;
  int32_t cell_tanh_multiplier;  // the cell state read as Q3.12 by its tanh (TanhInt16)
  int32_t cell_tanh_shift;
  bool clip;          // the op's cell_clip is positive
  int16_t cell_clip;  // cell_clip in the cell state's scale
};

// rows x units Q3.12 values: x (rows x depth, offset added) times weights^T, plus the bias when there is one.
template <typename Activation, typename Bias>
inline void LstmFullyConnected(int32_t rows, int32_t depth, int32_t units, const Activation* x, int32_t offset,
                               const int8_t* weights, const Bias* bias, int32_t multiplier, int32_t shift,
                               int16_t* out) {
  for (int32_t b = 0; b < rows; ++b) {
    for (int32_t c = 0; c < units; ++c) {
      Bias acc = 0;
      for (int32_t d = 0; d < depth; ++d) {
        acc += weights[c * depth + d] * (x[b * depth + d] + offset);
      }
      if (bias != nullptr) {
        acc += bias[c];
      }
      out[b * units + c] = static_cast<int16_t>(Clamp(RescaleAccumulator(acc, multiplier, shift), -32768, 32767));
    }
  }
}

// A gate's two Q3.12 fully connected values summed (saturating) and activated: tanh for the cell gate, else sigmoid.
inline int16_t LstmGateActivation(int16_t from_input, int16_t from_hidden, bool cell_gate) {
  const int16_t sum = static_cast<int16_t>(Clamp(from_input + from_hidden, -32768, 32767));
  return cell_gate ? TanhInt16(sum, 3, 0) : SigmoidInt16(sum, 3, 0);
}

template <typename Activation, typename Bias>
inline void LstmGateIntegerEval(const LstmIntegerParams& p, const LstmGateInteger& g, int32_t rows, const Activation* x,
                                const Activation* hidden, bool cell_gate, int16_t* gate, int16_t* scratch) {
  const LstmShape& s = p.shape;
  LstmFullyConnected<Activation, Bias>(rows, s.input_size, s.units, x, p.input_offset, g.input_weights,
                                       static_cast<const Bias*>(g.bias), g.input_multiplier, g.input_shift, gate);
  LstmFullyConnected<Activation, Bias>(rows, s.units, s.units, hidden, p.hidden_offset, g.recurrent_weights,
                                       static_cast<const Bias*>(nullptr), g.recurrent_multiplier, g.recurrent_shift,
                                       scratch);
  for (int32_t i = 0; i < rows * s.units; ++i) {
    gate[i] = LstmGateActivation(gate[i], scratch[i], cell_gate);
  }
}

// a x b (symmetric) rescaled, plus zero_point, clamped to [lo, hi]: TFLM's MulElementwise.
inline int32_t LstmMul(int32_t a, int32_t b, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t lo,
                       int32_t hi) {
  return Clamp(zero_point + MultiplyByQuantizedMultiplier(a * b, multiplier, shift), lo, hi);
}

// One cell state value updated: forget x cell + input gate x cell gate, clipped when the op has a cell clip. Params:
// LstmIntegerParams or an optimized kernel's params with the same fields.
template <typename Params>
inline int16_t LstmUpdatedCell(const Params& p, int16_t forget, int16_t in_gate, int16_t cell_gate, int16_t cell) {
  const int32_t kept = LstmMul(forget, cell, p.forget_multiplier, p.forget_shift, 0, -32768, 32767);
  const int32_t added = LstmMul(in_gate, cell_gate, p.update_multiplier, p.update_shift, 0, -32768, 32767);
  int16_t updated = static_cast<int16_t>(Clamp(kept + added, -32768, 32767));
  if (p.clip) {
    updated = updated < p.cell_clip ? updated : p.cell_clip;
    updated = updated > -p.cell_clip ? updated : static_cast<int16_t>(-p.cell_clip);
  }
  return updated;
}

// One hidden state value: tanh(cell) x output gate, requantized to the hidden state's scale and zero point.
template <typename Activation, typename Params>
inline Activation LstmHiddenValue(const Params& p, int16_t cell, int16_t out_gate) {
  const int16_t activated = TanhInt16(cell, p.cell_tanh_multiplier, p.cell_tanh_shift);
  return static_cast<Activation>(LstmMul(activated, out_gate, p.hidden_multiplier, p.hidden_shift, p.hidden_zero_point,
                                         IntRange<Activation>::kMin, IntRange<Activation>::kMax));
}

// Activation: int8_t with Bias int32_t, or int16_t with Bias int64_t. scratch: 4 x batches x units int16s.
template <typename Activation, typename Bias>
inline void LstmInteger(const LstmIntegerParams& p, const Activation* input, Activation* hidden_state,
                        int16_t* cell_state, int16_t* scratch, Activation* output) {
  const LstmGateInteger* gates[] = {&p.forget, &p.input, &p.cell, &p.output};
  auto gate = [&](int32_t which, int32_t rows, const Activation* x, const Activation* hidden, int16_t* out,
                  int16_t* fc) {
    LstmGateIntegerEval<Activation, Bias>(p, *gates[which], rows, x, hidden, which == kLstmCell, out, fc);
  };
  auto update_cell = [&](int32_t count, const int16_t* forget, const int16_t* in_gate, const int16_t* cell_gate,
                         int16_t* cell) {
    for (int32_t i = 0; i < count; ++i) {
      cell[i] = LstmUpdatedCell(p, forget[i], in_gate[i], cell_gate[i], cell[i]);
    }
  };
  // TFLM writes tanh(cell) to the forget gate's buffer first; element by element the result is the same.
  auto update_hidden = [&](int32_t count, const int16_t* cell, const int16_t* out_gate, int16_t*, Activation* hidden) {
    for (int32_t i = 0; i < count; ++i) {
      hidden[i] = LstmHiddenValue<Activation>(p, cell[i], out_gate[i]);
    }
  };
  LstmEval(p.shape, input, hidden_state, cell_state, scratch, output, gate, update_cell, update_hidden);
}

// The two forms TFLM runs: 8x8->16 (int8 activations, int32 biases) and 16x8->16 (int16 activations, int64 biases).
inline void LstmInt8(const LstmIntegerParams& p, const int8_t* input, int8_t* hidden_state, int16_t* cell_state,
                     int16_t* scratch, int8_t* output) {
  LstmInteger<int8_t, int32_t>(p, input, hidden_state, cell_state, scratch, output);
}

inline void LstmInt16(const LstmIntegerParams& p, const int16_t* input, int16_t* hidden_state, int16_t* cell_state,
                      int16_t* scratch, int16_t* output) {
  LstmInteger<int16_t, int64_t>(p, input, hidden_state, cell_state, scratch, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_LSTM_INTEGER_H_
