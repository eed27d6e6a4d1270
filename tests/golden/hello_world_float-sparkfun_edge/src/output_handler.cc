// Shows the sign and size of y on the Edge's four LEDs, as the book's handler does:
// blue for y < 0, plus red when y <= -0.75; green for y >= 0, plus yellow when y >= 0.75.
#include "output_handler.h"

#include <Arduino.h>

#include "serial_line.h"

namespace {

constexpr float kLargeMagnitude = 0.75f;

void Light(PinName led, bool on) { digitalWrite(led, on ? HIGH : LOW); }

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  if (!initialized) {
    pinMode(LED_RED, OUTPUT);
    pinMode(LED_BLUE, OUTPUT);
    pinMode(LED_GREEN, OUTPUT);
    pinMode(LED_YELLOW, OUTPUT);
    initialized = true;
  }
  const bool negative = y_value < 0.0f;
  Light(LED_BLUE, negative);
  Light(LED_RED, y_value <= -kLargeMagnitude);
  Light(LED_GREEN, !negative);
  Light(LED_YELLOW, y_value >= kLargeMagnitude);
  SerialLine().Text("x_value: ").Float(x_value).Text(" y_value: ").Float(y_value).Send();
}
