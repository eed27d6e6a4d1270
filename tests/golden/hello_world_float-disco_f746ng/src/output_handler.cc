// Draws each prediction as a red dot on the STM32F746G Discovery's 480x272 LCD
// (yellow background, as in the book) and prints it over serial.
//
// STM32duino ships no LCD driver and disables the LTDC HAL, so this file drives the
// LTDC directly. The screen is the LTDC's background colour (yellow); the dot is
// layer 1, a 21x21 window of 8-bit palettized pixels (L8) drawn once, which is moved
// to each new position (the layer window registers, reloaded during vertical
// blanking, so the dot never tears). That takes 441 bytes of RAM instead of a
// 130,560-byte full-screen framebuffer, and no pixel is redrawn per prediction.
// Addresses and bit positions are from the STM32F74xxx reference manual (RM0385);
// the panel timings are the RK043FN48H's.
#include "output_handler.h"

#include <Arduino.h>
#include <string.h>

#include "serial_line.h"

namespace {

constexpr int kWidth = 480;
constexpr int kHeight = 272;
constexpr int kDotRadius = 10;
constexpr int kDotSize = 2 * kDotRadius + 1;
constexpr float kXrange = 2.0f * 3.14159265358979f;

// Palette indices and their colours (RGB888).
constexpr uint8_t kBackground = 0;
constexpr uint8_t kForeground = 1;
constexpr uint32_t kYellow = 0xF4B400;
constexpr uint32_t kRed = 0xDB4437;

// RK043FN48H timings (pixels / lines).
constexpr uint32_t kHsync = 41, kHbp = 13, kHfp = 32;
constexpr uint32_t kVsync = 10, kVbp = 2, kVfp = 2;

// The dot layer's pixels. The LTDC reads them over the bus matrix, which reaches DTCM and SRAM1 alike;
// aligned to 512 bytes, the 441 bytes lie in one RAM, never across the DTCM/SRAM1 boundary at 0x20010000,
// and within one 1 KB AHB burst boundary.
alignas(512) uint8_t g_dot[kDotSize * kDotSize];

inline volatile uint32_t& Reg(uint32_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }

// RCC
constexpr uint32_t kRcc = 0x40023800;
constexpr uint32_t kRccCr = kRcc + 0x00, kRccPllCfgr = kRcc + 0x04, kRccAhb1Enr = kRcc + 0x30;
constexpr uint32_t kRccApb2Enr = kRcc + 0x44, kRccPllSaiCfgr = kRcc + 0x88, kRccDckCfgr1 = kRcc + 0x8C;
constexpr uint32_t kPllSaiOn = 1u << 28, kPllSaiReady = 1u << 29, kLtdcClockEnable = 1u << 26;

// GPIO ports E, G, I, J, K.
constexpr uint32_t kGpioE = 0x40021000, kGpioG = 0x40021800, kGpioI = 0x40022000;
constexpr uint32_t kGpioJ = 0x40022400, kGpioK = 0x40022800;
constexpr uint32_t kGpioClocks = (1u << 4) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10);

// LTDC and its layer 1.
constexpr uint32_t kLtdc = 0x40016800;
constexpr uint32_t kSscr = kLtdc + 0x08, kBpcr = kLtdc + 0x0C, kAwcr = kLtdc + 0x10, kTwcr = kLtdc + 0x14;
constexpr uint32_t kGcr = kLtdc + 0x18, kSrcr = kLtdc + 0x24, kBccr = kLtdc + 0x2C;
constexpr uint32_t kLtdcEnable = 1u << 0;
constexpr uint32_t kReloadNow = 1u << 0, kReloadAtBlanking = 1u << 1;  // SRCR: IMR, VBR
constexpr uint32_t kL1Cr = kLtdc + 0x84, kL1Whpcr = kLtdc + 0x88, kL1Wvpcr = kLtdc + 0x8C;
constexpr uint32_t kL1Pfcr = kLtdc + 0x94, kL1Cacr = kLtdc + 0x98, kL1Bfcr = kLtdc + 0xA0;
constexpr uint32_t kL1Cfbar = kLtdc + 0xAC, kL1Cfblr = kLtdc + 0xB0, kL1Cfblnr = kLtdc + 0xB4;
constexpr uint32_t kL1Clutwr = kLtdc + 0xC4;
constexpr uint32_t kPixelFormatL8 = 5;

// Cortex-M7 cache maintenance (the LTDC reads SRAM behind the data cache).
constexpr uint32_t kScbCcr = 0xE000ED14, kScbDccmvac = 0xE000EF68;
constexpr uint32_t kDataCacheEnabled = 1u << 16;
constexpr uint32_t kCacheLine = 32;

// Reads a register back: after enabling a peripheral clock, the write must land before the
// peripheral is touched.
void ReadBack(uint32_t address) {
  const uint32_t value = Reg(address);
  (void)value;
}

void ConfigurePin(uint32_t port, int pin, uint32_t alternate_function) {
  Reg(port + 0x00) = (Reg(port + 0x00) & ~(3u << (2 * pin))) | (2u << (2 * pin));  // alternate function
  Reg(port + 0x08) |= 3u << (2 * pin);                                              // very high speed
  const uint32_t afr = port + (pin < 8 ? 0x20 : 0x24);
  const int shift = 4 * (pin % 8);
  Reg(afr) = (Reg(afr) & ~(0xFu << shift)) | (alternate_function << shift);
}

void ConfigureOutputHigh(uint32_t port, int pin) {
  Reg(port + 0x18) = 1u << pin;  // BSRR: set before switching to output, so it never glitches low
  Reg(port + 0x00) = (Reg(port + 0x00) & ~(3u << (2 * pin))) | (1u << (2 * pin));
}

void InitPins() {
  Reg(kRccAhb1Enr) |= kGpioClocks;
  ReadBack(kRccAhb1Enr);
  constexpr uint32_t kAf14 = 14, kAf9 = 9;
  ConfigurePin(kGpioE, 4, kAf14);  // B0
  ConfigurePin(kGpioG, 12, kAf9);  // B4 (the one LTDC pin on AF9)
  constexpr int kPortIPins[] = {9, 10, 14, 15};  // VSYNC, HSYNC, CLK, R0
  for (int pin : kPortIPins) {
    ConfigurePin(kGpioI, pin, kAf14);
  }
  for (int pin = 0; pin < 16; ++pin) {
    if (pin != 12) {
      ConfigurePin(kGpioJ, pin, kAf14);  // R1-R7, G0-G4, B1-B3
    }
  }
  constexpr int kPortKPins[] = {0, 1, 2, 4, 5, 6, 7};  // G5-G7, B5-B7, DE
  for (int pin : kPortKPins) {
    ConfigurePin(kGpioK, pin, kAf14);
  }
  ConfigureOutputHigh(kGpioI, 12);  // LCD_DISP: panel on
  ConfigureOutputHigh(kGpioK, 3);   // backlight on
}

// Pixel clock ~9.6 MHz: PLLSAI VCO at 192 MHz, divided by R = 5 and then by 4.
void InitPixelClock() {
  if (Reg(kRccCr) & kPllSaiOn) {
    return;  // already running (configured by the core): leave it to its owner
  }
  const uint32_t pll_cfg = Reg(kRccPllCfgr);
  const uint32_t source_hz = (pll_cfg & (1u << 22)) ? 25000000u : 16000000u;  // HSE crystal or HSI
  const uint32_t vco_input_hz = source_hz / (pll_cfg & 0x3Fu);                 // shared PLLM divider
  const uint32_t n = 192000000u / vco_input_hz;
  const uint32_t keep_p_q = Reg(kRccPllSaiCfgr) & ((3u << 16) | (0xFu << 24));
  Reg(kRccPllSaiCfgr) = keep_p_q | (n << 6) | (5u << 28);
  Reg(kRccDckCfgr1) = (Reg(kRccDckCfgr1) & ~(3u << 16)) | (1u << 16);  // PLLSAIDIVR = /4
  Reg(kRccCr) |= kPllSaiOn;
  while (!(Reg(kRccCr) & kPllSaiReady)) {
  }
}

// Moves the dot layer so that its top-left pixel is (left, top) on the screen. The window registers are
// shadowed: the new position takes effect at the reload.
void PlaceDot(int left, int top) {
  const uint32_t h_start = kHsync + kHbp + left, v_start = kVsync + kVbp + top;
  Reg(kL1Whpcr) = ((h_start + kDotSize - 1) << 16) | h_start;
  Reg(kL1Wvpcr) = ((v_start + kDotSize - 1) << 16) | v_start;
}

// In the order of ST's HAL (HAL_LTDC_Init, then HAL_LTDC_ConfigLayer): timings and background, the
// controller enabled, then the layer configured (the dot at its first position) and the shadow registers
// reloaded.
void InitLtdc(int dot_left, int dot_top) {
  Reg(kRccApb2Enr) |= kLtdcClockEnable;
  ReadBack(kRccApb2Enr);
  const uint32_t h_back = kHsync + kHbp, v_back = kVsync + kVbp;
  Reg(kSscr) = ((kHsync - 1) << 16) | (kVsync - 1);
  Reg(kBpcr) = ((h_back - 1) << 16) | (v_back - 1);
  Reg(kAwcr) = ((h_back + kWidth - 1) << 16) | (v_back + kHeight - 1);
  Reg(kTwcr) = ((h_back + kWidth + kHfp - 1) << 16) | (v_back + kHeight + kVfp - 1);
  Reg(kBccr) = kYellow;
  Reg(kGcr) |= kLtdcEnable;
  PlaceDot(dot_left, dot_top);
  Reg(kL1Pfcr) = kPixelFormatL8;
  Reg(kL1Cacr) = 255;
  Reg(kL1Bfcr) = (4u << 8) | 5u;  // blend with constant alpha
  Reg(kL1Cfbar) = reinterpret_cast<uint32_t>(g_dot);
  Reg(kL1Cfblr) = (static_cast<uint32_t>(kDotSize) << 16) | (kDotSize + 3);  // pitch; line length + 3
  Reg(kL1Cfblnr) = kDotSize;
  Reg(kL1Clutwr) = (static_cast<uint32_t>(kBackground) << 24) | kYellow;
  Reg(kL1Clutwr) = (static_cast<uint32_t>(kForeground) << 24) | kRed;
  Reg(kL1Cr) = (1u << 4) | 1u;  // CLUT on, layer on
  Reg(kSrcr) = kReloadNow;
}

// Draws the dot into its layer and makes the writes visible to the LTDC, which reads RAM behind the
// data cache (SRAM1 is cached; DTCM is not, and cleaning its addresses does nothing).
void DrawDot() {
  for (int dy = -kDotRadius; dy <= kDotRadius; ++dy) {
    for (int dx = -kDotRadius; dx <= kDotRadius; ++dx) {
      const bool inside = dx * dx + dy * dy <= kDotRadius * kDotRadius;
      g_dot[(dy + kDotRadius) * kDotSize + dx + kDotRadius] = inside ? kForeground : kBackground;
    }
  }
  if (Reg(kScbCcr) & kDataCacheEnabled) {
    const uint32_t begin = reinterpret_cast<uint32_t>(g_dot) & ~(kCacheLine - 1);
    const uint32_t end = reinterpret_cast<uint32_t>(g_dot + sizeof(g_dot));
    for (uint32_t line = begin; line < end; line += kCacheLine) {
      Reg(kScbDccmvac) = line;
    }
    __asm volatile("dsb" ::: "memory");
  }
}

int ClampInt(int value, int lo, int hi) { return value < lo ? lo : (value > hi ? hi : value); }

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  // x across the width; y = +1 near the top, -1 near the bottom (screen y grows downwards).
  const int usable_width = kWidth - 2 * kDotRadius;
  const int half_height = (kHeight - 2 * kDotRadius) / 2;
  const int x = ClampInt(kDotRadius + static_cast<int>(x_value * (usable_width / kXrange)), kDotRadius,
                         kWidth - 1 - kDotRadius);
  const int y = ClampInt(kDotRadius + static_cast<int>(half_height * (1.0f - y_value)), kDotRadius,
                         kHeight - 1 - kDotRadius);
  if (!initialized) {
    DrawDot();
    InitPins();
    InitPixelClock();
    InitLtdc(x - kDotRadius, y - kDotRadius);
    initialized = true;
  } else {
    PlaceDot(x - kDotRadius, y - kDotRadius);
    Reg(kSrcr) = kReloadAtBlanking;
  }
  SerialLine().Text("x_value: ").Float(x_value).Text(" y_value: ").Float(y_value).Send();
}
