/* tinyflash_board.h for the native board: the program's stdin and stdout are its serial port. */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tinyflash_board.h"

extern void setup(void);
extern void loop(void);

void board_init(void) {}

void board_write(const char* data, size_t length) {
  fwrite(data, 1, length, stdout);
  fflush(stdout); /* a reader on the other end of a pipe sees each line as it is written */
}

size_t board_read(uint8_t* data, size_t capacity) {
  struct pollfd input = {STDIN_FILENO, POLLIN, 0};
  if (capacity == 0 || poll(&input, 1, 0) <= 0 || !(input.revents & POLLIN)) {
    return 0;
  }
  const ssize_t count = read(STDIN_FILENO, data, capacity);
  return count > 0 ? (size_t)count : 0;
}

uint32_t board_micros(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint32_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
}

/* 100 ns ticks: finer than the scheduler's noise on a host, and 7 minutes before the counter wraps. */
uint32_t board_ticks(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint32_t)((uint64_t)now.tv_sec * 10000000u + (uint64_t)now.tv_nsec / 100u);
}

uint32_t board_ticks_per_second(void) { return 10000000u; }

void board_exit(int code) {
  fflush(stdout);
  exit(code);
}

int main(void) {
  setup();
  for (;;) {
    loop();
  }
}
