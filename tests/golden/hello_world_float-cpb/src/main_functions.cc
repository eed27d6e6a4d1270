// The book's hello_world: sweep x over 0..2π in kInferencesPerCycle steps, predict
// y = sin(x) with the model and hand each (x, y) to the board's output handler.
#include "main_functions.h"

#include "model_runtime.h"
#include "output_handler.h"
#include "serial_line.h"
#include "tensor_io.h"
#include "tinyflash_board.h"

namespace {

constexpr int kInferencesPerCycle = 1000;
constexpr float kXrange = 2.0f * 3.14159265358979f;

bool g_ready = false;
int g_inference_count = 0;

}  // namespace

void setup() {
  board_init();
  g_ready = model::Setup();
  if (g_ready) {
    SerialLine()
        .Text("tinyflash: hello_world_float.tflite on cpb (tflm), arena ")
        .Uint(model::ArenaUsedBytes())
        .Text(" bytes")
        .Send();
  }
}

void loop() {
  if (!g_ready) {
    return;
  }
  const float position = static_cast<float>(g_inference_count) / static_cast<float>(kInferencesPerCycle);
  const float x = position * kXrange;
  const model::TensorView input = model::Input(0);
  WriteReal(input, 0, x);
  if (!model::Invoke()) {
    SerialLine().Text("error: Invoke() failed at x_value: ").Float(x).Send();
    return;
  }
  HandleOutput(x, ReadReal(model::Output(0), 0));
  g_inference_count = (g_inference_count + 1) % kInferencesPerCycle;
}
