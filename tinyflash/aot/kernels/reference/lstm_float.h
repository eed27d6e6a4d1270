// UNIDIRECTIONAL_SEQUENCE_LSTM, float32: TFLM's kernel (EvalLstm<float>) step by step, in its order and with its
// buffers. The hidden and cell state (batches x units each, variable tensors) are kept by the caller between
// invocations.
#ifndef TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_

#include <stdint.h>
#include <string.h>

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
  float* forget = scratch;
  float* in_gate = scratch + s.batches * s.units;
  float* cell_gate = in_gate + s.batches * s.units;
  float* fc_scratch = cell_gate + s.batches * s.units;
  LstmForEachStep(s, [&](int32_t rows, int32_t input_at, int32_t state_at, int32_t output_at) {
    const float* x = input + input_at;
    float* hidden = hidden_state + state_at;
    float* cell = cell_state + state_at;
    const int32_t count = rows * s.units;
    LstmGateFloatEval(p.forget, s, rows, x, hidden, false, forget, fc_scratch);
    LstmGateFloatEval(p.input, s, rows, x, hidden, false, in_gate, fc_scratch);
    LstmGateFloatEval(p.cell, s, rows, x, hidden, true, cell_gate, fc_scratch);
    for (int32_t i = 0; i < count; ++i) {
      cell[i] = LstmMulFloat(forget[i], cell[i]);
      in_gate[i] = LstmMulFloat(in_gate[i], cell_gate[i]);
      cell[i] = cell[i] + in_gate[i];
      if (p.cell_clip > 0.0f) {
        const float low = cell[i] < p.cell_clip ? cell[i] : p.cell_clip;
        cell[i] = low < -p.cell_clip ? -p.cell_clip : low;
      }
    }
    float* out_gate = in_gate;
    LstmGateFloatEval(p.output, s, rows, x, hidden, false, out_gate, fc_scratch);
    const ElementwiseParams all = {count};
    TanhFloat(all, cell, forget);
    for (int32_t i = 0; i < count; ++i) {
      hidden[i] = LstmMulFloat(forget[i], out_gate[i]);
    }
    memcpy(output + output_at, hidden, count * sizeof(float));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_LSTM_FLOAT_H_
