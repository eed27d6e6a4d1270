// Runs the model on fixed sample inputs and reports its outputs and the time each
// inference takes, so any model can be checked on a board.
#include "main_functions.h"

#include <string.h>

#include "model_runtime.h"
#include "sample_inputs.h"
#include "serial_line.h"
#include "tensor_io.h"
#include "tinyflash_board.h"

namespace {

// Outputs longer than this are summarised by their first values.
constexpr size_t kMaxPrinted = 16;

bool g_ready = false;
uint32_t g_run = 0;

// Board ticks as microseconds, with the decimals the tick rate resolves: two on the virtual Cortex-M boards
// (25 MHz: exact, 1 us = 1000 instructions under QEMU), none where the board counts whole microseconds.
void AppendMicros(SerialLine& line, uint32_t ticks) {
  const uint32_t rate = board_ticks_per_second();
  const uint64_t hundredths = static_cast<uint64_t>(ticks) * 100000000u / rate;
  line.Uint(static_cast<uint32_t>(hundredths / 100));
  if (rate > 1000000u) {
    const uint32_t fraction = static_cast<uint32_t>(hundredths % 100);
    line.Text(fraction < 10 ? ".0" : ".").Uint(fraction);
  }
}

}  // namespace

void setup() {
  board_init();
  g_ready = model::Setup();
  if (g_ready) {
    SerialLine()
        .Text("tinyflash: person_detect.tflite on wio_terminal (aot), arena ")
        .Uint(model::ArenaUsedBytes())
        .Text(" bytes")
        .Send();
  }
}

void loop() {
  if (!g_ready) {
    return;
  }
  for (size_t i = 0; i < kSampleInputCount; ++i) {
    memcpy(model::Input(i).data, kSampleInputs[i].data, kSampleInputs[i].bytes);
  }
  const uint32_t start = board_ticks();
  const bool ok = model::Invoke();
  const uint32_t elapsed = board_ticks() - start;
  if (!ok) {
    SerialLine().Text("error: Invoke() failed").Send();
    return;
  }
  for (size_t o = 0; o < model::OutputCount(); ++o) {
    const model::TensorView output = model::Output(o);
    const size_t shown = output.elements < kMaxPrinted ? output.elements : kMaxPrinted;
    for (size_t i = 0; i < shown; ++i) {
      SerialLine line;
      line.Text("output").Uint(o).Text("[").Uint(i).Text("]: ").Float(ReadReal(output, i));
      if (output.type != model::Type::kFloat32) {
        line.Text(" raw: ").Int(ReadRaw(output, i));
      }
      line.Send();
    }
  }
  SerialLine line;
  line.Text("run: ").Uint(g_run++).Text(" inference_us: ");
  AppendMicros(line, elapsed);
  line.Send();
}
