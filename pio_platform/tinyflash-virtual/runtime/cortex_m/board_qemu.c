/* tinyflash_board.h for QEMU's MPS2 boards: CMSDK UART0 for serial, SysTick for time, semihosting to exit. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tinyflash_board.h"

#define UART0_DATA (*(volatile uint32_t*)0x40004000u)
#define UART0_STATE (*(volatile uint32_t*)0x40004004u)
#define UART0_CTRL (*(volatile uint32_t*)0x40004008u)
#define UART0_BAUDDIV (*(volatile uint32_t*)0x40004010u)
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_RX_ENABLE 0x3u

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SYST_CSR_ENABLE_TICKINT_CPUCLK 0x7u
#define SYSTICK_RELOAD 0xFFFFFFu

/* The MPS2 FPGA images clock the CPU (and SysTick) at 25 MHz. */
#define CPU_HZ 25000000u

static volatile uint32_t g_systick_wraps;

void SysTick_Handler(void) { ++g_systick_wraps; }

void board_init(void) {
  /* The UART drops everything until it has a divider and its transmitter is enabled. */
  UART0_BAUDDIV = 16;
  UART0_CTRL = UART_CTRL_TX_RX_ENABLE;
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = SYST_CSR_ENABLE_TICKINT_CPUCLK;
  /* The counter reads 0 until its first reload; a reading then would look 2^24 ticks late. */
  while (SYST_CVR == 0) {
  }
}

void board_write(const char* data, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    while (UART0_STATE & UART_STATE_TX_FULL) {
    }
    UART0_DATA = (uint8_t)data[i];
  }
}

/* QEMU holds incoming bytes back until the guest has read the one in DATA, so none is ever dropped. */
size_t board_read(uint8_t* data, size_t capacity) {
  size_t count = 0;
  while (count < capacity && (UART0_STATE & UART_STATE_RX_FULL)) {
    data[count++] = (uint8_t)UART0_DATA;
  }
  return count;
}

/* Virtual time: under QEMU's -icount shift=0 every instruction takes 1 ns, so SysTick (counting the 25 MHz clock
   in that virtual time) ticks every 40 instructions, and an interval in microseconds is the instructions executed
   divided by 1000. */
uint32_t board_ticks(void) {
  uint32_t wraps, count;
  do { /* re-read if SysTick wrapped between the two reads */
    wraps = g_systick_wraps;
    count = SYST_CVR;
  } while (wraps != g_systick_wraps);
  return wraps * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - count);
}

uint32_t board_ticks_per_second(void) { return CPU_HZ; }

uint32_t board_micros(void) {
  uint32_t wraps, count;
  do {
    wraps = g_systick_wraps;
    count = SYST_CVR;
  } while (wraps != g_systick_wraps);
  uint64_t ticks = (uint64_t)wraps * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - count);
  return (uint32_t)(ticks / (CPU_HZ / 1000000u));
}

__attribute__((noreturn)) void board_exit(int code) {
  /* Semihosting SYS_EXIT_EXTENDED: reason ADP_Stopped_ApplicationExit, then the exit code. */
  const uint32_t block[2] = {0x20026u, (uint32_t)code};
  register uint32_t r0 __asm__("r0") = 0x20u;
  register const uint32_t* r1 __asm__("r1") = block;
  __asm volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
  for (;;) {
  }
}

/* newlib syscalls: stdout/stderr go to the UART; the heap is bounded by the linker script. */
extern char __heap_start, __heap_end;

int _write(int fd, const char* data, int length) {
  (void)fd;
  board_write(data, (size_t)length);
  return length;
}

void* _sbrk(ptrdiff_t increment) {
  static char* brk = &__heap_start;
  if (brk + increment > &__heap_end || brk + increment < &__heap_start) {
    errno = ENOMEM;
    return (void*)-1;
  }
  char* previous = brk;
  brk += increment;
  return previous;
}

__attribute__((noreturn)) void _exit(int code) { board_exit(code); }
