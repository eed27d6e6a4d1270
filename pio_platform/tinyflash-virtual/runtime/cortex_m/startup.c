/* Reset and vector table for the virtual Cortex-M boards: enable the FPU before any C code runs
   (GCC emits VFP instructions as early as main's prologue), set up .data/.bss, run constructors,
   then the app's setup() once and loop() forever. */
#include <stdint.h>
#include <string.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern void __libc_init_array(void);
extern void setup(void);
extern void loop(void);
void SysTick_Handler(void);

#define CPACR (*(volatile uint32_t*)0xE000ED88u)

__attribute__((noreturn)) void Reset_Handler(void) {
  CPACR |= 0xFu << 20; /* CP10 and CP11: full access */
  __asm volatile("dsb\n\tisb" ::: "memory");
  memcpy(&__data_start, &__data_load, (uintptr_t)&__data_end - (uintptr_t)&__data_start);
  memset(&__bss_start, 0, (uintptr_t)&__bss_end - (uintptr_t)&__bss_start);
  __libc_init_array();
  setup();
  for (;;) {
    loop();
  }
}

static void Halt(void) {
  for (;;) {
  }
}

__attribute__((section(".vectors"), used)) static void (*const kVectors[16])(void) = {
    (void (*)(void))&__stack_top, /* initial stack pointer */
    Reset_Handler,
    Halt, /* NMI */
    Halt, /* HardFault */
    Halt, /* MemManage */
    Halt, /* BusFault */
    Halt, /* UsageFault */
    0,    0, 0, 0,
    Halt, /* SVCall */
    Halt, /* DebugMonitor */
    0,
    Halt, /* PendSV */
    SysTick_Handler,
};

/* newlib's __libc_init_array calls these; nothing to do without crti/crtn. */
void _init(void) {}
void _fini(void) {}
