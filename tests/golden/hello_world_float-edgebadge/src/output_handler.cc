// Draws the sine wave on the EdgeBadge's 160x128 TFT, one dot per prediction, breathes
// its five NeoPixels with y, and prints each prediction over serial. A new period (x
// back at the start) clears the screen, so the wave is traced again from the left.
//
// The TFT is an ST7735R on the SAMD51's second SPI port (SPI1). tinyflash drives it
// with the few commands it needs instead of Adafruit_ST7735, whose library depends on
// Adafruit_GFX, Adafruit_BusIO, Adafruit_seesaw and SD: PlatformIO would install the
// latest of each on the first build. After a software reset the controller's power,
// frame-rate and gamma defaults are usable; the commands and their bits are from the
// ST7735R datasheet (Sitronix). Pins from Adafruit's pybadge_m4 variant.cpp.
#include "output_handler.h"

#include <Adafruit_NeoPixel.h>
#include <Arduino.h>
#include <SPI.h>

#include "serial_line.h"

namespace {

constexpr int kWidth = 160;  // landscape
constexpr int kHeight = 128;
constexpr int kDotSize = 3;

constexpr uint8_t kTftCs = 44, kTftDc = 45, kTftReset = 46, kTftBacklight = 47;
constexpr uint8_t kNeoPixelPin = 8;
constexpr uint16_t kNeoPixelCount = 5;
constexpr uint32_t kSpiHz = 24000000;

// ST7735R commands.
constexpr uint8_t kSoftwareReset = 0x01, kSleepOut = 0x11, kDisplayOn = 0x29;
constexpr uint8_t kColumnAddress = 0x2A, kRowAddress = 0x2B, kMemoryWrite = 0x2C;
constexpr uint8_t kMemoryAccess = 0x36, kPixelFormat = 0x3A;
constexpr uint8_t kRowColumnExchange = 0x20, kRowOrderReversed = 0x80;  // MADCTL MV, MY: landscape
constexpr uint8_t kRgb565 = 0x05;

// RGB565 colours, byte-swapped for the wire (the controller takes the high byte first).
constexpr uint16_t Wire565(uint16_t rgb565) { return static_cast<uint16_t>((rgb565 << 8) | (rgb565 >> 8)); }
constexpr uint16_t kYellow = Wire565(0xFFE0);
constexpr uint16_t kRed = Wire565(0xF800);

Adafruit_NeoPixel g_pixels(kNeoPixelCount, kNeoPixelPin, NEO_GRB + NEO_KHZ800);

// Breathes every pixel with y: level = kMaxLevel * (y + 1) / 2, in green. kMaxLevel
// keeps the pixels at a fifth of their full current (a NeoPixel at full white draws
// about 60 mA; these run from USB).
constexpr int kMaxLevel = 48;

int Breathe(Adafruit_NeoPixel& pixels, float y_value) {
  const int level = constrain(static_cast<int>(0.5f * kMaxLevel * (y_value + 1.0f)), 0, kMaxLevel);
  pixels.fill(Adafruit_NeoPixel::Color(0, static_cast<uint8_t>(level), 0));
  pixels.show();
  return level;
}

// Starts a command: chip selected, the command byte sent with D/C low, D/C high for its data.
void Begin(uint8_t command) {
  SPI1.beginTransaction(SPISettings(kSpiHz, MSBFIRST, SPI_MODE0));
  digitalWrite(kTftCs, LOW);
  digitalWrite(kTftDc, LOW);
  SPI1.transfer(command);
  digitalWrite(kTftDc, HIGH);
}

void End() {
  digitalWrite(kTftCs, HIGH);
  SPI1.endTransaction();
}

void Command(uint8_t command, const uint8_t* data = nullptr, size_t length = 0) {
  Begin(command);
  for (size_t i = 0; i < length; ++i) {
    SPI1.transfer(data[i]);
  }
  End();
}

// Fills a rectangle with one colour: the address window, then its pixels a row at a time.
void FillRect(int x, int y, int width, int height, uint16_t wire_colour) {
  const uint8_t columns[] = {0, static_cast<uint8_t>(x), 0, static_cast<uint8_t>(x + width - 1)};
  const uint8_t rows[] = {0, static_cast<uint8_t>(y), 0, static_cast<uint8_t>(y + height - 1)};
  Command(kColumnAddress, columns, sizeof columns);
  Command(kRowAddress, rows, sizeof rows);
  uint16_t line[kWidth];
  Begin(kMemoryWrite);
  for (int row = 0; row < height; ++row) {
    for (int i = 0; i < width; ++i) {
      line[i] = wire_colour;  // transfer() overwrites its buffer with what it reads back
    }
    SPI1.transfer(line, sizeof(uint16_t) * width);
  }
  End();
}

void InitTft() {
  pinMode(kTftCs, OUTPUT);
  pinMode(kTftDc, OUTPUT);
  pinMode(kTftReset, OUTPUT);
  pinMode(kTftBacklight, OUTPUT);
  digitalWrite(kTftCs, HIGH);
  SPI1.begin();
  digitalWrite(kTftReset, LOW);  // hardware reset: at least 10 us low, then 120 ms before commands
  delay(1);
  digitalWrite(kTftReset, HIGH);
  delay(120);
  Command(kSoftwareReset);
  delay(120);
  Command(kSleepOut);
  delay(120);
  const uint8_t format = kRgb565;
  Command(kPixelFormat, &format, 1);
  const uint8_t access = kRowOrderReversed | kRowColumnExchange;
  Command(kMemoryAccess, &access, 1);
  FillRect(0, 0, kWidth, kHeight, kYellow);
  Command(kDisplayOn);
  digitalWrite(kTftBacklight, HIGH);
}

constexpr float kXrange = 2.0f * 3.14159265358979f;

struct ScreenPoint {
  int column;
  int row;
};

int ClampInt(int value, int lo, int hi) { return value < lo ? lo : (value > hi ? hi : value); }

// Where (x, y) goes on a width x height screen, `margin` pixels clear of its edges:
// x across the width, y = +1 near the top and -1 near the bottom (rows grow downwards).
ScreenPoint OnScreen(float x_value, float y_value, int width, int height, int margin) {
  const int half_height = height / 2 - margin;
  return {ClampInt(static_cast<int>(x_value * (width / kXrange)), margin, width - 1 - margin),
          ClampInt(height / 2 - static_cast<int>(half_height * y_value), margin, height - 1 - margin)};
}

// True when x is back at the start of its range: a new period, traced again on a
// cleared screen.
bool NewPeriod(float x_value) {
  static float last_x = 0.0f;
  const bool restarted = x_value < last_x;
  last_x = x_value;
  return restarted;
}

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  const bool restarted = NewPeriod(x_value);
  if (!initialized) {
    InitTft();
    g_pixels.begin();
    initialized = true;
  } else if (restarted) {
    FillRect(0, 0, kWidth, kHeight, kYellow);
  }
  const ScreenPoint dot = OnScreen(x_value, y_value, kWidth, kHeight, kDotSize / 2);
  FillRect(dot.column - kDotSize / 2, dot.row - kDotSize / 2, kDotSize, kDotSize, kRed);
  const int level = Breathe(g_pixels, y_value);
  SerialLine()
      .Text("x_value: ")
      .Float(x_value)
      .Text(" y_value: ")
      .Float(y_value)
      .Text(" level: ")
      .Int(level)
      .Send();
}
