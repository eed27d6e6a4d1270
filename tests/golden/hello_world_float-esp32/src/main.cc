// ESP-IDF entry point and tinyflash_board.h: stdout is UART0, esp_timer gives microseconds.
#include <stdio.h>
#include <stdlib.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "main_functions.h"
#include "tinyflash_board.h"

extern "C" {

void board_init(void) {}

void board_write(const char* data, size_t length) {
  fwrite(data, 1, length, stdout);
  fflush(stdout);
}

uint32_t board_micros(void) { return static_cast<uint32_t>(esp_timer_get_time()); }

void board_exit(int code) {
  printf("exit: %d\n", code);
  fflush(stdout);
  while (true) {
    vTaskDelay(portMAX_DELAY);
  }
}

static void RunModel(void*) {
  setup();
  while (true) {
    loop();
    // Yield one tick so the idle task runs and the task watchdog stays quiet.
    vTaskDelay(1);
  }
}

void app_main(void) {
  // The arena and interpreter live in static storage; the task needs stack for the kernels only.
  xTaskCreate(RunModel, "tinyflash", 8192, nullptr, 5, nullptr);
}

}  // extern "C"
