// UNIDIRECTIONAL_SEQUENCE_LSTM, float32: TFLM's kernel (EvalLstm<float>) step by step, in its order and with its
// buffers. The hidden and cell state (batches x units each, variable tensors) are kept by the caller between
// invocations.
#ifndef TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_

#include <stdint.h>

#include "common/elementwise.h"
#include "common/float_limits.h"
#include "common/lstm.h"
#include "reference/fully_connected_float.h"
#include "reference/logistic_float.h"
#include "reference/tanh_float.h"

// One gate's weights: input x input_weights^T + bias + hidden x recurrent_weights^T.
struct LstmGateFloat {
  const float* input_weights;      // units x input_size
  const float* recurrent_weights;  // units x units
  const float* bias;               // units
};

struct LstmFloatParams {
  LstmShape shape;
  LstmGateFloat forget;
  LstmGateFloat input;
  LstmGateFloat cell;
  LstmGateFloat output;
  float cell_clip;  // the cell state is clipped to +-cell_clip when it is positive
};

// gate = sigmoid(FC(x) + FC(hidden)), tanh for the cell gate; FC as TFLM's FULLY_CONNECTED with no activation.
inline void LstmGateFloatEval(const LstmGateFloat& g, const LstmShape& s, int32_t rows, const float* x,
                              const float* hidden, bool cell_gate, float* gate, float* scratch) {
  FullyConnectedFloatParams fc = {rows, s.input_size, s.units, kFloatLowest, -kFloatLowest};
  FullyConnectedFloat(fc, x, g.input_weights, g.bias, gate);
  fc.input_depth = s.units;
  FullyConnectedFloat(fc, hidden, g.recurrent_weights, nullptr, scratch);
  const int32_t count = rows * s.units;
  for (int32_t i = 0; i < count; ++i) {
    gate[i] = gate[i] + scratch[i];
  }
  const ElementwiseParams all = {count};
  if (cell_gate) {
    TanhFloat(all, gate, gate);
  } else {
    LogisticFloat(all, gate, gate);
  }
}

// a * b clamped to the float range, as TFLM's MUL with no fused activation.
inline float LstmMulFloat(float a, float b) { return ClampFloat(a * b, kFloatLowest, -kFloatLowest); }

// scratch: 4 x batches x units floats.
inline void LstmFloat(const LstmFloatParams& p, const float* input, float* hidden_state, float* cell_state,
                      float* scratch, float* output) {
  const LstmShape& s = p.shape;
  const LstmGateFloat* gates[] = {&p.forget, &p.input, &p.cell, &p.output};
  auto gate = [&](int32_t which, int32_t rows, const float* x, const float* hidden, float* out, float* fc) {
    LstmGateFloatEval(*gates[which], s, rows, x, hidden, which == kLstmCell, out, fc);
  };
  auto update_cell = [&](int32_t count, const float* forget, float* in_gate, const float* cell_gate, float* cell) {
    for (int32_t i = 0; i < count; ++i) {
      cell[i] = LstmMulFloat(forget[i], cell[i]);
      in_gate[i] = LstmMulFloat(in_gate[i], cell_gate[i]);
      cell[i] = cell[i] + in_gate[i];
      if (p.cell_clip > 0.0f) {
        const float low = cell[i] < p.cell_clip ? cell[i] : p.cell_clip;
        cell[i] = low < -p.cell_clip ? -p.cell_clip : low;
      }
    }
  };
  auto update_hidden = [&](int32_t count, const float* cell, const float* out_gate, float* tanh_cell, float* hidden) {
    const ElementwiseParams all = {count};
    TanhFloat(all, cell, tanh_cell);
    for (int32_t i = 0; i < count; ++i) {
      hidden[i] = LstmMulFloat(tanh_cell[i], out_gate[i]);
    }
  };
  LstmEval(s, input, hidden_state, cell_state, scratch, output, gate, update_cell, update_hidden);
}

#endif  // TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_
