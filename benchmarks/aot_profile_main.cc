// Per-operator instruction counts of a generated model on a virtual Cortex-M board (benchmarks/aot_bench.py
// --profile): the model is built with -DTINYFLASH_AOT_DEBUG, and the debug hook, called after every operator,
// reads the 25 MHz SysTick (40 instructions per tick under QEMU's -icount shift=0). The hook's own time is
// excluded: the clock restarts when it returns.
#include <stdint.h>

#include "model_runtime.h"
#include "serial_line.h"
#include "tinyflash_board.h"

namespace {

uint32_t g_since = 0;

uint32_t Instructions(uint32_t ticks) { return ticks * (1000000000u / board_ticks_per_second()); }

}  // namespace

namespace model {

void DebugOperatorOutput(size_t index, const char* op, const TensorView&) {
  const uint32_t ticks = board_ticks() - g_since;
  SerialLine().Text("op ").Uint(index).Text(" ").Text(op).Text(" instructions: ").Uint(Instructions(ticks)).Send();
  g_since = board_ticks();
}

}  // namespace model

extern "C" void setup(void) {
  board_init();
  model::Setup();
  g_since = board_ticks();
  model::Invoke();
  SerialLine().Text("done").Send();
  board_exit(0);
}

extern "C" void loop(void) {}
